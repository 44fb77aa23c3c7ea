subaccount_id = "6aa64c2f-38c1-49a9-b2e8-cf9fea769b7f"

destinations = {
  CALM_EM = {
    url            = "https://acme.eu10.alm.cloud.sap/"
    client_id      = "sb-calm-acme!b12|calm-api!b3"
    client_secret  = "corpus-literal-secret-1"
    token_url_type = "Common"
  }
  CALM_BPA_HEALTH = {
    url       = "https://acme.eu10.alm.cloud.sap/api/"
    client_id = "sb-calm-acme!b12|calm-api!b3"
  }
  srv-api = {
    url       = "https://acme-srv.cfapps.eu10.hana.ondemand.com"
    client_id = "sb-srv"
  }
}
