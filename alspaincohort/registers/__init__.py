"""Population registers: persons, dispensed prescriptions, and the pre-diagnostic exposure
designs (nested case-control by risk-set sampling, the full cohort with time-varying exposure),
run in DuckDB so that register-sized data never passes through pandas."""

from .exposure import (
    DEFAULT_WINDOWS,
    EXPOSURE_CLASSES,
    ExposureClass,
    Window,
    classes_of,
    ddd_category,
    since_first_category,
)
from .register import Register, load_register

__all__ = ["DEFAULT_WINDOWS", "EXPOSURE_CLASSES", "ExposureClass", "Register", "Window",
           "classes_of", "ddd_category", "load_register", "since_first_category"]
