"""What the contract fixes: the rule catalogue, the OpenAPI description, the API's facts. Imports nothing of the suite."""
