"""Sensors of the Calendly provider."""
