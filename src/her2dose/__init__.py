"""her2dose: dose, vial, preparation and infusion calculator for HER2-directed drugs."""

__version__ = "0.1.0"
