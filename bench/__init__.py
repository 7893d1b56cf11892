"""The benchmark suite of issue 7: `python -m bench` (bench/__main__.py) and its parts."""
