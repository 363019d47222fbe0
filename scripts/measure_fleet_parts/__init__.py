"""Parts of scripts/measure_fleet.py."""
