"""Pure clinical core: values, rules and calculations. No I/O, no clock, no settings, no framework."""
