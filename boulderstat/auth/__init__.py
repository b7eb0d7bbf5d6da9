"""Sign-in sessions: the OAuth2 code exchange, the refresh-token cookie, refresh and logout.

The browser never sees the refresh token: `/auth/token` swaps the hosted UI's authorization code
for tokens at Cognito, returns the ID/access tokens and keeps the refresh token in an HttpOnly
cookie scoped to `/auth`. `sessions.SignInSessions` is the domain service the auth function
calls; `token_endpoint` is the only module that talks to Cognito's OAuth2 endpoints.
"""
