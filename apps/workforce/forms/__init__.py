"""Forms of the workforce pages, one module per concern (the same names as views/ and urls/)."""
