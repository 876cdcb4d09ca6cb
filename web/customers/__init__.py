"""The company and contact routes (package customers) and their schemas."""
