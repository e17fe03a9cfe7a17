# ---- Task role: least-privilege MSK IAM for the two clusters, read of the connector bucket ----

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

locals {
  # arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID -> topic/NAME/UUID/* and group/NAME/UUID/*
  cluster_arns = compact([local.source_cluster_arn, local.target_cluster_arn])
  topic_arns   = [for a in local.cluster_arns : "${replace(a, ":cluster/", ":topic/")}/*"]
  group_arns   = [for a in local.cluster_arns : "${replace(a, ":cluster/", ":group/")}/*"]
}

data "aws_iam_policy_document" "kmirror_task" {
  statement {
    sid       = "ConnectToBothClusters"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = local.cluster_arns
  }
  statement {
    sid = "ReplicateTopics"
    # read on the source, create/alter/write on the target (MM2 topic sync, heartbeats,
    # offset-syncs, checkpoints, worker internal topics), ACL/config reads for topic sync
    actions = [
      "kafka-cluster:DescribeTopic",
      "kafka-cluster:DescribeTopicDynamicConfiguration",
      "kafka-cluster:ReadData",
      "kafka-cluster:WriteData",
      "kafka-cluster:CreateTopic",
      "kafka-cluster:AlterTopic",
      "kafka-cluster:AlterTopicDynamicConfiguration",
    ]
    resources = local.topic_arns
  }
  statement {
    sid       = "ConsumerGroups"
    actions   = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]
    resources = local.group_arns
  }
  statement {
    sid       = "TransactionalIdempotentProducer"
    actions   = ["kafka-cluster:WriteDataIdempotently"]
    resources = local.cluster_arns
  }
  statement {
    sid       = "ConfigFromS3"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.config.arn}/*"]
  }
  statement {
    sid       = "DecryptConfig"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role" "kmirror_task" {
  name               = "${var.name_prefix}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "kmirror_task" {
  name   = "msk-iam-and-config"
  role   = aws_iam_role.kmirror_task.id
  policy = data.aws_iam_policy_document.kmirror_task.json
}

# Prometheus and Grafana need no AWS API access: an empty task role.
resource "aws_iam_role" "monitoring_task" {
  name               = "${var.name_prefix}-monitoring-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

# ---- Execution role: pull from ECR, write logs, read the Grafana admin secret ----------------

resource "aws_iam_role" "execution" {
  name               = "${var.name_prefix}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_extra" {
  statement {
    sid       = "GrafanaAdminSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.grafana_admin.arn]
  }
  statement {
    sid       = "DecryptImagesAndSecret"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "execution_extra" {
  name   = "secrets-and-kms"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_extra.json
}
