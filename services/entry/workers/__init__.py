"""The long-running worker processes of the distributed setup and their health port."""
