module "b" {
  source = "../b"
}

resource "btp_subaccount_destination" "calm" {
  name = "CALM_A"
  url  = "https://acme.eu10.alm.cloud.sap/"
}
