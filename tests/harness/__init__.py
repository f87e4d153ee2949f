"""The project's own test harness (not shipped): what the tests and the benchmarks share to drive the emulator
through the provider's real parts, e.g. :mod:`tests.harness.feed` (webhook deliveries into an inbox)."""
