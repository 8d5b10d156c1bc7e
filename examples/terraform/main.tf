# Exalate connections in plain HCL with the exalate provider.
#
#   npx --no-install exalate-iac provider install      # lays out ./terraform.d/plugins
#   export ACME_FRESHSERVICE_URL=… ACME_JIRA_URL=… ACME_FRESHSERVICE_TOKEN=… ACME_JIRA_TOKEN=…
#   terraform init && terraform apply
#
# Against the emulator: `EXALATE_EMULATOR_TOKEN=secret npx exalate-iac emulator --port 8080 --data .emulator`
# and the URLs http://127.0.0.1:8080/nodes/acme-freshservice and …/acme-jira with that token.
terraform {
  required_providers {
    exalate = {
      source  = "exalate-iac.local/exalate/exalate"
      version = "0.1.0"
    }
  }
}

provider "exalate" {
  owner = "platform-team-hcl"
  node {
    name      = "acme-freshservice"
    url       = "$${ACME_FRESHSERVICE_URL}" # expanded by the provider from its environment
    platform  = "freshservice"
    token_env = "ACME_FRESHSERVICE_TOKEN" # the variable's name, never the token
  }
  node {
    name      = "acme-jira"
    url       = "$${ACME_JIRA_URL}"
    platform  = "jira-cloud"
    token_env = "ACME_JIRA_TOKEN"
  }
}

# A private Script connection, as in the Freshservice guide: its invitation code is a sensitive output.
resource "exalate_connection" "to_partner" {
  name              = "acme-to-partner-hcl"
  node              = "acme-freshservice"
  local_short_name  = "acme"
  remote_short_name = "partner"
  mode              = "script"
  private           = true
  description       = "Escalated tickets to the partner's Jira"
  rules = {
    outgoing = file("${path.module}/../rules/outgoing.groovy") # the rules the YAML example uses
  }
  triggers = [{
    entity_type = "ticket"
    query       = "priority:4"
    notes       = "urgent tickets only"
  }]
}

# Both nodes are declared: the provider accepts the invitation on acme-jira itself.
resource "exalate_connection" "to_engineering" {
  name              = "service-desk-to-engineering-hcl"
  node              = "acme-freshservice"
  local_short_name  = "servicedesk"
  remote_short_name = "engineering"
  mode              = "script"
  remote_node       = "acme-jira"
  incoming_scope    = "ENG"
  description       = "Incidents that need engineering, both ways"

  lifecycle {
    prevent_destroy = false # set true (and protect = true) for connections that must never go
  }
}

output "invitation_code_to_partner" {
  value     = exalate_connection.to_partner.invitation_code
  sensitive = true
}

output "engineering_status" {
  value = "${exalate_connection.to_engineering.status} / ${exalate_connection.to_engineering.accepting_status}"
}
