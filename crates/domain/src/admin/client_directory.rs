//! The admin API's client directory: register a client, read one, list them a page at a
//! time, replace their redirect URIs, rotate a secret, delete one. The rules are the
//! clients context's (`Clients`); this adds the caller and the log line.

use super::{Admin, AdminCaller, AdminOpError};
use crate::client::{Client, GrantType, Redirects};
use crate::clients::{ClientChangeError, ClientPage, InvalidClient, ListClientsError, NewClient};
use crate::ids::ClientId;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::time::UnixTime;

/// A client as the admin API shows it: never its secret nor the secret's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub id: ClientId,
    pub name: String,
    pub grant_types: Vec<GrantType>,
    pub scope: Scope,
    pub public: bool,
    pub redirects: Redirects,
    pub created_at: UnixTime,
}

impl From<Client> for ClientView {
    fn from(client: Client) -> Self {
        ClientView {
            public: client.is_public(),
            id: client.id,
            name: client.name,
            grant_types: client.grant_types,
            scope: client.scope,
            redirects: client.redirects,
            created_at: client.created_at,
        }
    }
}

/// A client to register, as sent: the grant types and the scope are parsed here, so a
/// value that does not parse is refused with the same sentences as any other.
#[derive(Debug, Clone, Default)]
pub struct ClientDraft {
    pub name: String,
    pub grant_types: Vec<String>,
    pub scope: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
}

impl ClientDraft {
    fn parse(self) -> Result<NewClient, InvalidClient> {
        let grant_types = self
            .grant_types
            .iter()
            .map(|grant| grant.parse::<GrantType>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| InvalidClient::GrantTypes)?;
        let scope = Scope::parse(&self.scope).map_err(|_| InvalidClient::Scope)?;
        Ok(NewClient {
            name: self.name,
            grant_types,
            scope,
            public: self.public,
            redirects: Redirects {
                redirect_uris: self.redirect_uris,
                post_logout_redirect_uris: self.post_logout_redirect_uris,
                backchannel_logout_uri: self.backchannel_logout_uri,
            },
        })
    }
}

impl From<ClientChangeError> for AdminOpError {
    fn from(error: ClientChangeError) -> Self {
        match error {
            ClientChangeError::Invalid(invalid) => AdminOpError::InvalidClient(invalid),
            ClientChangeError::Public => AdminOpError::PublicClient,
            ClientChangeError::Unavailable(fault) => AdminOpError::Unavailable(fault),
        }
    }
}

impl Admin {
    /// Registers a client. A confidential client's secret is returned here and never
    /// again: only its hash is stored.
    pub fn create_client(
        &self,
        caller: &AdminCaller,
        draft: ClientDraft,
    ) -> Result<(ClientView, Option<Secret>), AdminOpError> {
        let new = draft.parse().map_err(AdminOpError::InvalidClient)?;
        let (client, secret) = self.clients.register(new, caller.initiator())?;
        tracing::info!(caller = %caller.client_id(), client = %client.id, "admin: client created");
        Ok((client.into(), secret))
    }

    pub fn get_client(
        &self,
        caller: &AdminCaller,
        client_id: &str,
    ) -> Result<ClientView, AdminOpError> {
        let client = self
            .clients
            .find_client(client_id)?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(caller = %caller.client_id(), client = %client.id, "admin: client read");
        Ok(client.into())
    }

    /// A page of clients in id order (see `Clients::list_page`).
    pub fn list_clients(
        &self,
        caller: &AdminCaller,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<(Vec<ClientView>, Option<ClientId>), AdminOpError> {
        let ClientPage { clients, next } =
            self.clients
                .list_page(limit, after)
                .map_err(|error| match error {
                    ListClientsError::InvalidLimit => {
                        AdminOpError::InvalidQuery("limit must be 1 to 200")
                    }
                    ListClientsError::InvalidCursor => {
                        AdminOpError::InvalidQuery("after must be the next of a previous page")
                    }
                    ListClientsError::Unavailable(fault) => AdminOpError::Unavailable(fault),
                })?;
        tracing::info!(
            caller = %caller.client_id(),
            clients = clients.len(),
            "admin: clients listed"
        );
        Ok((clients.into_iter().map(ClientView::from).collect(), next))
    }

    /// Replaces the client's redirect URIs (checked as at registration).
    pub fn set_client_redirect_uris(
        &self,
        caller: &AdminCaller,
        client_id: &str,
        redirect_uris: Vec<String>,
    ) -> Result<ClientView, AdminOpError> {
        let client = self
            .clients
            .set_redirect_uris(client_id, redirect_uris, caller.initiator())?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(caller = %caller.client_id(), client = %client.id, "admin: client updated");
        Ok(client.into())
    }

    /// Gives a confidential client a new secret, returned here and never again; the old
    /// one stops authenticating (at once on this node, within the client cache's TTL on
    /// the others). Tokens already issued stay valid: `revoke_client` ends them.
    pub fn rotate_client_secret(
        &self,
        caller: &AdminCaller,
        client_id: &str,
    ) -> Result<(ClientView, Secret), AdminOpError> {
        let (client, secret) = self
            .clients
            .rotate_secret(client_id, caller.initiator())?
            .ok_or(AdminOpError::NotFound)?;
        tracing::info!(
            caller = %caller.client_id(),
            client = %client.id,
            "admin: client secret rotated"
        );
        Ok((client.into(), secret))
    }

    /// Revokes everything of the client, then deletes it (`Clients::delete_client`).
    pub fn delete_client(&self, caller: &AdminCaller, client_id: &str) -> Result<(), AdminOpError> {
        if !self.clients.delete_client(client_id, caller.initiator())? {
            return Err(AdminOpError::NotFound);
        }
        tracing::info!(caller = %caller.client_id(), client = client_id, "admin: client deleted");
        Ok(())
    }
}
