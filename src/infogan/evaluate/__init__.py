"""Measurements of what a trained model learned."""
