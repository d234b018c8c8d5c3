"""Faulty servers (mutants) and legal variants of the reference, and the machinery to run the suite against them."""
