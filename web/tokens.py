"""The token routes: list, create and revoke API tokens, one's own or (users.manage) anybody's."""
from __future__ import annotations

from flask import Blueprint, request

from accounts import tokens

from .api import json_body
from .auth import SIGNED_IN, current_actor, current_user, declare_permissions
from .db import get_session
from .token_schemas import NewTokenSchema, TokenInSchema, TokenQuerySchema, TokenSchema

bp = Blueprint("tokens", __name__, url_prefix="/api")
# Own tokens need no permission; the services check users.manage for anybody else's.
declare_permissions(bp, {"list_tokens": SIGNED_IN, "create_token": SIGNED_IN, "revoke_token": SIGNED_IN})

tokens_schema, new_token_schema = TokenSchema(many=True), NewTokenSchema()
token_in_schema, token_query = TokenInSchema(), TokenQuerySchema()


@bp.get("/tokens")
def list_tokens():
    query = token_query.load(request.args)
    return tokens_schema.dump(tokens.list_tokens(get_session(), current_actor(), query["user"]))


@bp.post("/tokens")
def create_token():
    body = token_in_schema.load(json_body())
    row, token = tokens.issue_token(get_session(), current_user(), actor=current_actor(), **body)
    return {**new_token_schema.dump(row), "token": token}, 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id):
    tokens.revoke_token(get_session(), token_id, current_actor())
    return "", 204
