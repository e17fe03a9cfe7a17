variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "kmirror"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = { Project = "kmirror" }
}

variable "vpc_id" {
  description = "VPC to deploy into (not created by this module, as in the seed)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two AZs for the ECS services (and MSK, if created)."
  type        = list(string)
  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "Give private subnets in at least two availability zones."
  }
}

variable "client_cidr_blocks" {
  description = "CIDRs (bastion, VPN, WorkSpaces) allowed to reach the kmirror REST API, Prometheus and Grafana."
  type        = list(string)
}

variable "image_tag" {
  description = "Tag pushed by deploy/docker/build-and-push.sh (ECR tags are immutable)."
  type        = string
}

variable "kmirror_cpu" {
  description = "Task CPU units of a kmirror task (512 = 0.5 vCPU)."
  type        = number
  default     = 512
}

variable "kmirror_memory" {
  description = "Task memory of a kmirror task in MiB."
  type        = number
  default     = 1024
}

variable "kmirror_min_count" {
  description = "Minimum number of kmirror tasks (autoscaling floor; 2 spreads across AZs)."
  type        = number
  default     = 2
}

variable "kmirror_max_count" {
  description = "Maximum number of kmirror tasks (autoscaling ceiling, caps the cost)."
  type        = number
  default     = 6
}

variable "cpu_target_percent" {
  description = "Target average CPU utilisation of the kmirror service."
  type        = number
  default     = 70
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention."
  type        = number
  default     = 365
}

variable "migration_namespace" {
  description = "Cloud Map private DNS namespace of kmirror (the seed's kafkaconnect.migration)."
  type        = string
  default     = "migration"
}

variable "monitoring_namespace" {
  description = "Cloud Map private DNS namespace of Prometheus and Grafana."
  type        = string
  default     = "monitoring"
}

variable "kmirror_dns_name" {
  description = "Cloud Map service name of kmirror: <name>.<migration_namespace>:8083. Prometheus's baked-in config scrapes kafkaconnect.migration."
  type        = string
  default     = "kafkaconnect"
}

# ---- Kafka clusters --------------------------------------------------------------------------

variable "create_source_msk" {
  description = "Create a source MSK cluster (IAM auth) instead of using source_cluster_arn."
  type        = bool
  default     = false
}

variable "create_target_msk" {
  description = "Create a target MSK cluster (IAM auth) instead of using target_cluster_arn."
  type        = bool
  default     = false
}

variable "source_cluster_arn" {
  description = "ARN of an existing source MSK cluster (when create_source_msk = false)."
  type        = string
  default     = ""
}

variable "target_cluster_arn" {
  description = "ARN of an existing target MSK cluster (when create_target_msk = false)."
  type        = string
  default     = ""
}

variable "source_bootstrap_servers" {
  description = "IAM bootstrap brokers of the existing source cluster (host:9098,...)."
  type        = string
  default     = ""
}

variable "target_bootstrap_servers" {
  description = "IAM bootstrap brokers of the existing target cluster (host:9098,...)."
  type        = string
  default     = ""
}

variable "kafka_cidr_blocks" {
  description = "CIDRs of the brokers kmirror connects to (port 9098, MSK IAM)."
  type        = list(string)
}

variable "msk_kafka_version" {
  description = "Kafka version of created MSK clusters."
  type        = string
  default     = "3.6.0"
}

variable "msk_instance_type" {
  description = "Broker instance type of created MSK clusters."
  type        = string
  default     = "kafka.m5.large"
}

variable "msk_broker_count" {
  description = "Brokers of created MSK clusters (a multiple of the subnet count)."
  type        = number
  default     = 3
}

# ---- Connectors rendered to S3 ---------------------------------------------------------------

variable "source_alias" {
  description = "Cluster alias of the source (MM2 source.cluster.alias)."
  type        = string
  default     = "msksource"
}

variable "target_alias" {
  description = "Cluster alias of the target (MM2 target.cluster.alias)."
  type        = string
  default     = "mskdest"
}

variable "topics" {
  description = "Topics regex replicated by mm2-msc."
  type        = string
  default     = ".*"
}

variable "groups" {
  description = "Consumer groups regex checkpointed by mm2-cpc."
  type        = string
  default     = ".*"
}

variable "msc_tasks_max" {
  description = "tasks.max of the MirrorSourceConnector (5-10 partitions per task)."
  type        = number
  default     = 4
}

variable "replication_factor" {
  description = "Replication factor of topics kmirror creates on the target."
  type        = number
  default     = 3
}

variable "replication_policy_class" {
  description = "replication.policy.class of the connectors."
  type        = string
  default     = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
}
