"""Geography: districts, streets, communities, unit grids, work grids, the locator."""
