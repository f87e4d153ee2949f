"""Hooks of the Calendly provider."""
