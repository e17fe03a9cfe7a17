#!/usr/bin/env bash
# Builds the kmirror, Prometheus and Grafana images and pushes them to ECR — the seed's build
# script for kmirror.
#
#   deploy/docker/build-and-push.sh ACCOUNT_ID REGION [TAG]
#
# ACCOUNT_ID  12-digit AWS account id; REGION e.g. us-east-1; TAG defaults to the git commit.
# The ECR repositories are created by deploy/terraform/ecs-fargate (names overridable with
# KMIRROR_REPOSITORY, PROMETHEUS_REPOSITORY, GRAFANA_REPOSITORY; defaults kmirror,
# kmirror-prometheus, kmirror-grafana). Images are linux/amd64 (ECS Fargate default, as the seed
# required) even on ARM hosts; set DOCKER_DEFAULT_PLATFORM=linux/arm64 for Graviton tasks.
# Tags are immutable in the Terraform ECR repositories: push a new TAG for every build.
# Needs docker and the AWS CLI (for the ECR login password only).
set -euo pipefail

usage() {
  echo "usage: $0 ACCOUNT_ID REGION [TAG]" >&2
  exit 2
}
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
account=$1
region=$2
[[ $account =~ ^[0-9]{12}$ ]] || { echo "ACCOUNT_ID must be 12 digits" >&2; exit 2; }
[[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || { echo "REGION looks wrong: $region" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tag=${3:-$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || date -u +%Y%m%d%H%M%S)}
export DOCKER_DEFAULT_PLATFORM=${DOCKER_DEFAULT_PLATFORM:-linux/amd64}
registry="$account.dkr.ecr.$region.amazonaws.com"

echo "logging in to $registry"
aws ecr get-login-password --region "$region" |
  docker login --username AWS --password-stdin "$registry"

build_and_push() { # REPOSITORY DOCKERFILE
  local image="$registry/$1:$tag"
  echo "building $image ($DOCKER_DEFAULT_PLATFORM) from $2"
  docker build --platform "$DOCKER_DEFAULT_PLATFORM" -f "$root/$2" -t "$image" "$root"
  docker push "$image"
  echo "pushed $image"
}

build_and_push "${KMIRROR_REPOSITORY:-kmirror}" deploy/docker/Dockerfile
build_and_push "${PROMETHEUS_REPOSITORY:-kmirror-prometheus}" deploy/docker/prometheus.Dockerfile
build_and_push "${GRAFANA_REPOSITORY:-kmirror-grafana}" deploy/docker/grafana.Dockerfile

echo "done; set image_tag = \"$tag\" in your tfvars and run terraform apply"
