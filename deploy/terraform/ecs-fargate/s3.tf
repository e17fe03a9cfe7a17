# Versioned, KMS-encrypted, non-public bucket holding the connector JSONs rendered from variables
# (the seed's s3://my-config-bucket/connector/*.json).

resource "aws_s3_bucket" "config" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket; the bucket holds a few small config objects written only by Terraform (CloudTrail data events cover reads if required).
  #checkov:skip=CKV_AWS_144:Cross-region replication is not needed: every object is re-rendered by terraform apply.
  #checkov:skip=CKV2_AWS_62:No consumer for event notifications; objects change only through Terraform.
  bucket_prefix = "${var.name_prefix}-config-"
  force_destroy = false
}

resource "aws_s3_bucket_versioning" "config" {
  bucket = aws_s3_bucket.config.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "config" {
  bucket = aws_s3_bucket.config.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "config" {
  bucket                  = aws_s3_bucket.config.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "config" {
  bucket = aws_s3_bucket.config.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "config" {
  bucket = aws_s3_bucket.config.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "config_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.config.arn, "${aws_s3_bucket.config.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "config" {
  bucket     = aws_s3_bucket.config.id
  policy     = data.aws_iam_policy_document.config_bucket.json
  depends_on = [aws_s3_bucket_public_access_block.config]
}

locals {
  connector_vars = {
    source_alias             = var.source_alias
    target_alias             = var.target_alias
    source_bootstrap         = local.source_bootstrap
    target_bootstrap         = local.target_bootstrap
    topics                   = var.topics
    groups                   = var.groups
    msc_tasks_max            = var.msc_tasks_max
    replication_factor       = var.replication_factor
    replication_policy_class = var.replication_policy_class
  }
  connectors = {
    "mm2-msc" = templatefile("${path.module}/templates/mm2-msc.json.tftpl", local.connector_vars)
    "mm2-cpc" = templatefile("${path.module}/templates/mm2-cpc.json.tftpl", local.connector_vars)
    "mm2-hbc" = templatefile("${path.module}/templates/mm2-hbc.json.tftpl", local.connector_vars)
  }
}

resource "aws_s3_object" "connector" {
  for_each     = local.connectors
  bucket       = aws_s3_bucket.config.id
  key          = "connector/${each.key}.json"
  content      = each.value
  content_type = "application/json"
  kms_key_id   = aws_kms_key.this.arn
  depends_on   = [aws_s3_bucket_server_side_encryption_configuration.config]
}
