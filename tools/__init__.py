"""Maintenance commands of the template: regenerate files that are made from real bakes."""
