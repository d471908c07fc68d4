"""The dispatch center (指挥中心): live map, work queues, case drawer; the unit portal."""
