"""An independent verifier for the user-service integration test (PyJWT + cryptography).

    verify_token.py JWKS_URL TOKEN ISSUER AUDIENCE   -> prints the token's sub

Fetches the JWKS over HTTP, picks the key by the token's kid, checks the ES256 signature,
exp, iss and aud. Exits non-zero if anything fails.
"""
import sys

import jwt


def main():
    jwks_url, token, issuer, audience = sys.argv[1:5]
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, signing_key.key, algorithms=["ES256"], issuer=issuer, audience=audience,
        options={"require": ["exp", "iss", "aud", "sub"]},
    )
    print(claims["sub"])


if __name__ == "__main__":
    main()
