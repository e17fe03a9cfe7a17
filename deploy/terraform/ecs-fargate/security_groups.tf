resource "aws_security_group" "kmirror" {
  name        = "${var.name_prefix}-kmirror"
  description = "kmirror workers: REST/metrics 8083 from clients, Prometheus and peers"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "kmirror_clients" {
  for_each          = toset(var.client_cidr_blocks)
  security_group_id = aws_security_group.kmirror.id
  description       = "REST API from the bastion / client network"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 8083
  to_port           = 8083
}

resource "aws_vpc_security_group_ingress_rule" "kmirror_peers" {
  security_group_id            = aws_security_group.kmirror.id
  description                  = "REST API between workers (request forwarding to the leader)"
  referenced_security_group_id = aws_security_group.kmirror.id
  ip_protocol                  = "tcp"
  from_port                    = 8083
  to_port                      = 8083
}

resource "aws_vpc_security_group_ingress_rule" "kmirror_prometheus" {
  security_group_id            = aws_security_group.kmirror.id
  description                  = "/metrics scraped by Prometheus"
  referenced_security_group_id = aws_security_group.prometheus.id
  ip_protocol                  = "tcp"
  from_port                    = 8083
  to_port                      = 8083
}

resource "aws_vpc_security_group_egress_rule" "kmirror_peers" {
  security_group_id            = aws_security_group.kmirror.id
  description                  = "REST API between workers"
  referenced_security_group_id = aws_security_group.kmirror.id
  ip_protocol                  = "tcp"
  from_port                    = 8083
  to_port                      = 8083
}

resource "aws_vpc_security_group_egress_rule" "kmirror_kafka" {
  for_each          = toset(var.kafka_cidr_blocks)
  security_group_id = aws_security_group.kmirror.id
  description       = "Kafka brokers (MSK IAM, 9098)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 9098
  to_port           = 9098
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each          = { kmirror = aws_security_group.kmirror.id, prometheus = aws_security_group.prometheus.id, grafana = aws_security_group.grafana.id }
  security_group_id = each.value
  description       = "HTTPS to AWS APIs (ECR, S3, STS, CloudWatch Logs) through NAT or VPC endpoints"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_security_group" "prometheus" {
  name        = "${var.name_prefix}-prometheus"
  description = "Prometheus: 9090 from clients and Grafana"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "prometheus_clients" {
  for_each          = toset(var.client_cidr_blocks)
  security_group_id = aws_security_group.prometheus.id
  description       = "Prometheus UI from the bastion / client network"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 9090
  to_port           = 9090
}

resource "aws_vpc_security_group_ingress_rule" "prometheus_grafana" {
  security_group_id            = aws_security_group.prometheus.id
  description                  = "queries from Grafana"
  referenced_security_group_id = aws_security_group.grafana.id
  ip_protocol                  = "tcp"
  from_port                    = 9090
  to_port                      = 9090
}

resource "aws_vpc_security_group_egress_rule" "prometheus_scrape" {
  security_group_id            = aws_security_group.prometheus.id
  description                  = "scrape kmirror /metrics"
  referenced_security_group_id = aws_security_group.kmirror.id
  ip_protocol                  = "tcp"
  from_port                    = 8083
  to_port                      = 8083
}

resource "aws_security_group" "grafana" {
  name        = "${var.name_prefix}-grafana"
  description = "Grafana: 3000 from clients"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "grafana_clients" {
  for_each          = toset(var.client_cidr_blocks)
  security_group_id = aws_security_group.grafana.id
  description       = "Grafana UI from the bastion / client network"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 3000
  to_port           = 3000
}

resource "aws_vpc_security_group_egress_rule" "grafana_prometheus" {
  security_group_id            = aws_security_group.grafana.id
  description                  = "queries to Prometheus"
  referenced_security_group_id = aws_security_group.prometheus.id
  ip_protocol                  = "tcp"
  from_port                    = 9090
  to_port                      = 9090
}

resource "aws_security_group" "msk" {
  count       = var.create_source_msk || var.create_target_msk ? 1 : 0
  name        = "${var.name_prefix}-msk"
  description = "Created MSK clusters: 9098 (IAM) from kmirror"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "msk_kmirror" {
  count                        = var.create_source_msk || var.create_target_msk ? 1 : 0
  security_group_id            = aws_security_group.msk[0].id
  description                  = "MSK IAM listener from kmirror"
  referenced_security_group_id = aws_security_group.kmirror.id
  ip_protocol                  = "tcp"
  from_port                    = 9098
  to_port                      = 9098
}
