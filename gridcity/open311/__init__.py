"""Open311 GeoReport v2 gateway: civic-report clients file and follow cases."""
