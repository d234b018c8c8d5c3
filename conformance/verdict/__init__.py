"""Failures as data and what they decide: outcomes, scope, the verdict per rule, exit codes, JUnit records."""
