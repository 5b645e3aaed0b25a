"""Data the chapters use, made or found offline (nothing here needs the network at run time)."""
