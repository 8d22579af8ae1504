"""Applications service: applications, programs and documents; publishes application.* events."""
