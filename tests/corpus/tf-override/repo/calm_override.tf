# Local testing against the sandbox tenant.
resource "btp_subaccount_destination" "calm" {
  url = "https://sandbox.eu10.alm.cloud.sap/api/"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-sandbox!b12|calm-api!b3"
    clientSecret        = "corpus-literal-secret-3"
    tokenServiceURL     = "https://sandbox.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = "Common"
  })
}
