"""The runnable processes and the composition root that wires them."""
