data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  source_cluster_arn = var.create_source_msk ? aws_msk_cluster.source[0].arn : var.source_cluster_arn
  target_cluster_arn = var.create_target_msk ? aws_msk_cluster.target[0].arn : var.target_cluster_arn
  source_bootstrap   = var.create_source_msk ? aws_msk_cluster.source[0].bootstrap_brokers_sasl_iam : var.source_bootstrap_servers
  target_bootstrap   = var.create_target_msk ? aws_msk_cluster.target[0].bootstrap_brokers_sasl_iam : var.target_bootstrap_servers

  kmirror_host    = "${var.kmirror_dns_name}.${var.migration_namespace}"
  prometheus_host = "prometheus.${var.monitoring_namespace}"
  grafana_host    = "grafana.${var.monitoring_namespace}"
}

# ---- KMS key for logs, S3, ECR, MSK, secrets -------------------------------------------------

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:A KMS key policy's Resource "*" means this key only; the account root statement is the AWS default key policy.
  #checkov:skip=CKV_AWS_356:A KMS key policy's Resource "*" means this key only.
  #checkov:skip=CKV_AWS_109:The account root statement is the AWS default key policy (IAM policies decide who uses the key).
  statement {
    sid       = "AccountAdmin"
    actions   = ["kms:*"]
    resources = ["*"] # a key policy's resource is the key itself
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/ecs/${var.name_prefix}*"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: logs, connector bucket, ECR, MSK"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# ---- ECS cluster and Cloud Map ---------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name_prefix
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_service_discovery_private_dns_namespace" "migration" {
  name        = var.migration_namespace
  description = "kmirror (${local.kmirror_host}:8083)"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_private_dns_namespace" "monitoring" {
  name        = var.monitoring_namespace
  description = "Prometheus and Grafana"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "kmirror" {
  name = var.kmirror_dns_name
  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.migration.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_service_discovery_service" "prometheus" {
  name = "prometheus"
  dns_config {
    namespace_id = aws_service_discovery_private_dns_namespace.monitoring.id
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_service_discovery_service" "grafana" {
  name = "grafana"
  dns_config {
    namespace_id = aws_service_discovery_private_dns_namespace.monitoring.id
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

# ---- CloudWatch log groups -------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  for_each          = toset(["kmirror", "prometheus", "grafana"])
  name              = "/ecs/${var.name_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

# ---- ECR -------------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  for_each             = toset(["kmirror", "kmirror-prometheus", "kmirror-grafana"])
  name                 = each.key
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.this.arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the 20 newest images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
  })
}
