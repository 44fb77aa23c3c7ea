# The production counterpart of a local destinations.json: one destination per call.
resource "btp_subaccount_destination" "this" {
  subaccount_id  = var.subaccount_id
  name           = var.name
  url            = var.url
  type           = "HTTP"
  proxy_type     = var.proxy_type
  authentication = var.authentication
  description    = var.description
  additional_configuration = jsonencode(var.additional_configuration)
}
