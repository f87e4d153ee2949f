"""Operators of the Calendly provider."""
