terraform {
  required_providers {
    btp = {
      source  = "SAP/btp"
      version = "~> 1.16"
    }
  }
}

# One destination per entry of var.destinations (terraform.tfvars).
resource "btp_subaccount_destination" "calm" {
  for_each       = var.destinations
  subaccount_id  = var.subaccount_id
  name           = each.key
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = each.value.url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = each.value.client_id
    clientSecret        = each.value.client_secret
    tokenServiceURL     = "https://${var.zone}.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = each.value.token_url_type
  })
}
