#!/usr/bin/env python3
"""Prints the MSK IAM token that AWS's own Python signer (aws-msk-iam-sasl-signer-python)
produces for fixed credentials at a fixed time, for tests/unit/msk_iam_test.cpp.

usage: msk_signer_reference.py REGION EPOCH_SECONDS ACCESS_KEY SECRET_KEY [SESSION_TOKEN]
prints: <token> <expiry_ms> <user-agent>
"""
import datetime
import importlib.metadata
import sys

import botocore.auth
from botocore.credentials import Credentials

from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

region, epoch, ak, sk = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
token = sys.argv[5] if len(sys.argv) > 5 else None
fixed = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def fixed_now(remove_tzinfo=True):
    return fixed.replace(tzinfo=None) if remove_tzinfo else fixed


# botocore reads the signing time through this helper (older versions: datetime.utcnow).
botocore.auth.get_current_datetime = fixed_now


class FixedProvider(botocore.credentials.CredentialProvider):
    METHOD = "fixed"

    def load(self):
        return Credentials(ak, sk, token)


value, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
    region, FixedProvider())
ua = "aws-msk-iam-sasl-signer-python/" + importlib.metadata.version(
    "aws-msk-iam-sasl-signer-python")
print(value, expiry_ms, ua)
