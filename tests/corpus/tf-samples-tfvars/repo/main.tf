resource "btp_subaccount_destination" "calm" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_BPMON"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = var.calm_url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-acme!b12|calm-api!b3"
    clientSecret        = var.calm_client_secret
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = var.calm_token_url_type
  })
}
