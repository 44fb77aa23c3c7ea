variable "name" {
  type = string
}

variable "url" {
  type = string
}

resource "btp_subaccount_destination" "this" {
  name           = var.name
  url            = var.url
  type           = "HTTP"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId     = "sb-app!b1"
    clientSecret = "corpus-literal-secret-2"
  })
}
