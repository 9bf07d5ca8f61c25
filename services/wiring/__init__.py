"""The composition root: builds each process's parts from the settings, in one place."""
