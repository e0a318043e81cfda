"""Meta-training, export and evaluation of the Memory of Amortized Contexts networks."""
