"""Pure clinical rules: dosing, vials, rounding, infusion, weight change, use-by times (no I/O)."""
