# Optional source and target MSK clusters (IAM authentication, TLS, KMS at rest, broker logs).

locals {
  msk_clusters = merge(
    var.create_source_msk ? { source = "${var.name_prefix}-source" } : {},
    var.create_target_msk ? { target = "${var.name_prefix}-target" } : {},
  )
}

resource "aws_cloudwatch_log_group" "msk" {
  for_each          = local.msk_clusters
  name              = "/msk/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_msk_cluster" "source" {
  count                  = var.create_source_msk ? 1 : 0
  cluster_name           = local.msk_clusters["source"]
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = var.msk_broker_count
  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = var.private_subnet_ids
    security_groups = [aws_security_group.msk[0].id]
    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }
  client_authentication {
    sasl {
      iam = true
    }
  }
  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.this.arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }
  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk["source"].name
      }
    }
  }
}

resource "aws_msk_cluster" "target" {
  count                  = var.create_target_msk ? 1 : 0
  cluster_name           = local.msk_clusters["target"]
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = var.msk_broker_count
  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = var.private_subnet_ids
    security_groups = [aws_security_group.msk[0].id]
    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }
  client_authentication {
    sasl {
      iam = true
    }
  }
  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.this.arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }
  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk["target"].name
      }
    }
  }
}
