"""Reviews service: review chains, tasks and decisions; consumes application.*, publishes review.*."""
