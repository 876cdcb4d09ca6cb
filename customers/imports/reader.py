"""The child process that reads a large import file beside the importing one (see prepare.py)."""
from customers.imports.prepare import child_main

if __name__ == "__main__":
    child_main()
