"""HubSpot: its webhook signature, its CRM API, and how its records map to lead events."""
