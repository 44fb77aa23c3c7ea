# One Cloud ALM push destination; the caller passes where it goes and how it authenticates.
resource "btp_subaccount_destination" "this" {
  subaccount_id  = var.subaccount_id
  name           = var.name
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = var.url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = var.client_id
    clientSecret        = var.client_secret
    tokenServiceURL     = var.token_url
    tokenServiceURLType = "Dedicated"
  })
}
