#!/usr/bin/env bash
# Lints template.yaml with cfn-lint and `sam validate --lint` (both offline),
# and the edge's companion infra/waf-us-east-1.yaml (plain CloudFormation,
# no SAM transform) with cfn-lint in us-east-1, the only region its
# CLOUDFRONT-scope web ACL may live in; with the pinned tools of
# infra/scripts/install-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="target/tools-venv"
if [[ ! -x "$VENV/bin/cfn-lint" || ! -x "$VENV/bin/sam" ]]; then
    echo "lint: the tools are missing: run infra/scripts/install-tools.sh first" >&2
    exit 1
fi
export PATH="$PWD/$VENV/bin:$PATH"
export SAM_CLI_TELEMETRY=0
# The region the template is linted for (Paris); any region with every
# resource type would do.
REGION="${AWS_REGION:-eu-west-3}"

echo "lint: cfn-lint $(cfn-lint --version | awk '{print $2}') on template.yaml ($REGION)"
cfn-lint --regions "$REGION" --format parseable -- template.yaml

echo "lint: sam validate --lint"
sam validate --lint --template-file template.yaml --region "$REGION"

echo "lint: cfn-lint on infra/waf-us-east-1.yaml (us-east-1)"
cfn-lint --regions us-east-1 --format parseable -- infra/waf-us-east-1.yaml

echo "lint: template.yaml passes cfn-lint and sam validate --lint; infra/waf-us-east-1.yaml passes cfn-lint"
