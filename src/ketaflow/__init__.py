"""ketaflow: the care pathway of a ketamine infusion clinic, with the basis of every safety check shown."""

__version__ = "0.1.0"
