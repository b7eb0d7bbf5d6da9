"""The only modules that talk to the outside world: AWS, MongoDB, Cognito's JWKS."""
