<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Hookline</source>
        <translation>À propos de Hookline</translation>
    </message>
    <message>
        <source>A desktop console for contact-center webhook integrations: register endpoints, fire test events, and see every request and response.</source>
        <translation>Une console de bureau pour les intégrations webhook des centres de contact : enregistrez des points de terminaison, envoyez des événements de test et voyez chaque requête et chaque réponse.</translation>
    </message>
    <message>
        <source>Copy version info</source>
        <translation>Copier les informations de version</translation>
    </message>
    <message>
        <source>Hookline %1
Qt %2 (built with %3)
%4</source>
        <translation>Hookline %1
Qt %2 (compilé avec %3)
%4</translation>
    </message>
</context>
<context>
    <name>ActivityChart</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Attempts by outcome</source>
        <translation>Tentatives par résultat</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latence</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>%1
%2 attempts: %3 succeeded, %4 failed and retried, %5 failed</source>
        <translation>%1
%2 tentatives : %3 réussies, %4 échouées puis relancées, %5 échouées</translation>
    </message>
    <message>
        <source>%1
no attempts</source>
        <translation>%1
aucune tentative</translation>
    </message>
    <message>
        <source>%1
p50 %2 · p95 %3 · p99 %4</source>
        <translation>%1
p50 %2 · p95 %3 · p99 %4</translation>
    </message>
    <message>
        <source>%1 attempts: %2 succeeded, %3 failed and retried, %4 failed.</source>
        <translation>%1 tentatives : %2 réussies, %3 échouées puis relancées, %4 échouées.</translation>
    </message>
    <message>
        <source>No attempts.</source>
        <translation>Aucune tentative.</translation>
    </message>
    <message>
        <source>Latency p50 %1, p95 %2, p99 %3.</source>
        <translation>Latence p50 %1, p95 %2, p99 %3.</translation>
    </message>
    <message>
        <source>Succeeded</source>
        <translation>Réussies</translation>
    </message>
    <message>
        <source>Failed, retried</source>
        <translation>Échouées, relancées</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Échouées</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <source>No attempts in this period</source>
        <translation>Aucune tentative sur cette période</translation>
    </message>
</context>
<context>
    <name>ApiToken</name>
    <message>
        <source>A token needs a name of 1 to 64 characters (who or what uses it), not “%1”.</source>
        <translation>Un jeton a besoin d’un nom de 1 à 64 caractères (qui ou quoi l’utilise), pas « %1 ».</translation>
    </message>
    <message>
        <source>The token name “%1” contains a control character.</source>
        <translation>Le nom de jeton « %1 » contient un caractère de contrôle.</translation>
    </message>
</context>
<context>
    <name>DatabaseUrl</name>
    <message>
        <source>“%1” names no file. Write sqlite:PATH, for example sqlite:/var/lib/hookline/hookline.sqlite.</source>
        <translation>« %1 » ne désigne aucun fichier. Écrivez sqlite:CHEMIN, par exemple sqlite:/var/lib/hookline/hookline.sqlite.</translation>
    </message>
    <message>
        <source>“%1” is not a database URL Hookline knows. Write sqlite:PATH for a file, or postgresql://USER@HOST:PORT/DBNAME for a PostgreSQL database.</source>
        <translation>« %1 » n’est pas une URL de base de données que Hookline connaît. Écrivez sqlite:CHEMIN pour un fichier, ou postgresql://UTILISATEUR@HÔTE:PORT/BASE pour une base PostgreSQL.</translation>
    </message>
    <message>
        <source>“%1” is not a valid PostgreSQL URL. Write it as postgresql://USER@HOST:PORT/DBNAME (a password may follow the user after a colon, percent-encoded).</source>
        <translation>« %1 » n’est pas une URL PostgreSQL valide. Écrivez-la postgresql://UTILISATEUR@HÔTE:PORT/BASE (un mot de passe peut suivre l’utilisateur après deux-points, encodé en pourcentage).</translation>
    </message>
    <message>
        <source>The PostgreSQL URL names no server. Write the host after “postgresql://”, for example postgresql://hookline@db.example.com/hookline.</source>
        <translation>L’URL PostgreSQL ne désigne aucun serveur. Écrivez l’hôte après « postgresql:// », par exemple postgresql://hookline@db.example.com/hookline.</translation>
    </message>
    <message>
        <source>The port in the PostgreSQL URL must be 1–65535.</source>
        <translation>Le port de l’URL PostgreSQL doit être compris entre 1 et 65535.</translation>
    </message>
    <message>
        <source>The port “%1” in the PostgreSQL URL must be a number from 1 to 65535 (PostgreSQL&apos;s own is 5432).</source>
        <translation>Le port « %1 » de l’URL PostgreSQL doit être un nombre de 1 à 65535 (celui de PostgreSQL est 5432).</translation>
    </message>
    <message>
        <source>The PostgreSQL URL %1 names no database, or more than one. End it with /DBNAME, for example …:5432/hookline.</source>
        <translation>L’URL PostgreSQL %1 ne désigne aucune base, ou plusieurs. Terminez-la par /BASE, par exemple …:5432/hookline.</translation>
    </message>
    <message>
        <source>sslmode “%1” is not one PostgreSQL knows: use %2.</source>
        <translation>sslmode « %1 » n’est pas une valeur que PostgreSQL connaît : utilisez %2.</translation>
    </message>
    <message>
        <source>connect_timeout “%1” must be a number of seconds from 1 to 600.</source>
        <translation>connect_timeout « %1 » doit être un nombre de secondes de 1 à 600.</translation>
    </message>
    <message>
        <source>The PostgreSQL URL has an option Hookline does not use: “%1”. It takes sslmode and connect_timeout.</source>
        <translation>L’URL PostgreSQL contient une option que Hookline n’utilise pas : « %1 ». Il accepte sslmode et connect_timeout.</translation>
    </message>
</context>
<context>
    <name>DeliveryDetailsView</name>
    <message>
        <source>… %1 more bytes</source>
        <translation>… %1 octets de plus</translation>
    </message>
    <message>
        <source>Copy a curl command that repeats this request</source>
        <translation>Copier une commande curl qui rejoue cette requête</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Requête</translation>
    </message>
    <message>
        <source>Select a delivery to see its request.</source>
        <translation>Sélectionnez une livraison pour voir sa requête.</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>Réponse</translation>
    </message>
    <message>
        <source>…and what came back.</source>
        <translation>…et ce qui est revenu.</translation>
    </message>
    <message>
        <source>(empty body)</source>
        <translation>(corps vide)</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; to &lt;b&gt;%2&lt;/b&gt; · attempt %3 (%4) · %5 ms · %6</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; vers &lt;b&gt;%2&lt;/b&gt; · tentative %3 (%4) · %5 ms · %6</translation>
    </message>
    <message>
        <source>(%1 of %2 bytes kept)</source>
        <translation>(%1 octets gardés sur %2)</translation>
    </message>
    <message>
        <source>No response: %1</source>
        <translation>Pas de réponse : %1</translation>
    </message>
    <message>
        <source>Waiting for the response…</source>
        <translation>En attente de la réponse…</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · delivery &lt;code&gt;%2&lt;/code&gt; · %3: no attempt is recorded for it.</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · livraison &lt;code&gt;%2&lt;/code&gt; · %3 : aucune tentative n’est enregistrée pour elle.</translation>
    </message>
    <message>
        <source>webhook-id &lt;code&gt;%1&lt;/code&gt; · delivery &lt;code&gt;%2&lt;/code&gt;</source>
        <translation>webhook-id &lt;code&gt;%1&lt;/code&gt; · livraison &lt;code&gt;%2&lt;/code&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · delivery &lt;code&gt;%2&lt;/code&gt; · held behind &lt;code&gt;%3&lt;/code&gt; (order key %4): sent once that delivery succeeds or gives up.</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · livraison &lt;code&gt;%2&lt;/code&gt; · en attente derrière &lt;code&gt;%3&lt;/code&gt; (clé d’ordre %4) : envoyée dès que cette livraison réussit ou abandonne.</translation>
    </message>
    <message>
        <source>Cop&amp;y as cURL</source>
        <translation>Copier en &amp;cURL</translation>
    </message>
</context>
<context>
    <name>DeliveryExport</name>
    <message>
        <source>Writing the export failed: %1</source>
        <translation>L’écriture de l’export a échoué : %1</translation>
    </message>
</context>
<context>
    <name>Dispatcher</name>
    <message>
        <source>Hookline is shutting down; the event was not sent.</source>
        <translation>Hookline s’arrête ; l’événement n’a pas été envoyé.</translation>
    </message>
    <message>
        <source>There is no endpoint %1.</source>
        <translation>Le point de terminaison %1 n’existe pas.</translation>
    </message>
    <message>
        <source>The endpoint “%1” is disabled%2. Enable it first.</source>
        <translation>Le point de terminaison « %1 » est désactivé%2. Activez-le d’abord.</translation>
    </message>
    <message>
        <source>No enabled endpoint subscribes to %1. Add one, or subscribe an endpoint to this event.</source>
        <translation>Aucun point de terminaison actif n’est abonné à %1. Ajoutez-en un, ou abonnez un point de terminaison à cet événement.</translation>
    </message>
    <message>
        <source>The endpoint was removed.</source>
        <translation>Le point de terminaison a été supprimé.</translation>
    </message>
    <message>
        <source>The endpoint is disabled%1.</source>
        <translation>Le point de terminaison est désactivé%1.</translation>
    </message>
    <message>
        <source>The endpoint answered %1 but did not finish the response within the %2 ms timeout; the attempt was cut off.</source>
        <translation>Le point de terminaison a répondu %1 mais n’a pas terminé la réponse dans le délai de %2 ms ; la tentative a été interrompue.</translation>
    </message>
    <message>
        <source>No answer from %1 within the endpoint&apos;s timeout; the attempt was cut off.</source>
        <translation>Aucune réponse de %1 dans le délai du point de terminaison ; la tentative a été interrompue.</translation>
    </message>
    <message>
        <source>Redirects are not followed: the endpoint answered %1 %2 pointing to %3. Register the final URL instead.</source>
        <translation>Les redirections ne sont pas suivies : le point de terminaison a répondu %1 %2 vers %3. Enregistrez plutôt l’URL finale.</translation>
    </message>
    <message>
        <source>nowhere</source>
        <translation>nulle part</translation>
    </message>
    <message>
        <source>The endpoint answered %1 %2.</source>
        <translation>Le point de terminaison a répondu %1 %2.</translation>
    </message>
    <message>
        <source>The response body was longer than %1 KiB; Hookline read that much and discarded the rest.</source>
        <translation>Le corps de la réponse dépassait %1 Kio ; Hookline en a lu cette quantité et a ignoré le reste.</translation>
    </message>
    <message>
        <source>The host name %1 could not be resolved (DNS). Check the URL&apos;s spelling, or the machine&apos;s DNS settings.</source>
        <translation>Le nom d’hôte %1 n’a pas pu être résolu (DNS). Vérifiez l’orthographe de l’URL ou les réglages DNS de la machine.</translation>
    </message>
    <message>
        <source>Connection refused by %1: nothing is listening there. Is the receiver running, and is the port right?</source>
        <translation>Connexion refusée par %1 : rien n’écoute à cette adresse. Le récepteur est-il lancé, et le port est-il le bon ?</translation>
    </message>
    <message>
        <source>%1 did not answer in time.</source>
        <translation>%1 n’a pas répondu à temps.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed: %2. Fix the server&apos;s certificate, or turn off TLS verification for this endpoint (for testing only).</source>
        <translation>La négociation TLS avec %1 a échoué : %2. Corrigez le certificat du serveur, ou désactivez la vérification TLS pour ce point de terminaison (pour les tests uniquement).</translation>
    </message>
    <message>
        <source>The attempt was aborted before an answer arrived.</source>
        <translation>La tentative a été abandonnée avant l’arrivée d’une réponse.</translation>
    </message>
    <message>
        <source>%1 closed the connection without answering.</source>
        <translation>%1 a fermé la connexion sans répondre.</translation>
    </message>
    <message>
        <source>The request to %1 failed: %2.</source>
        <translation>La requête vers %1 a échoué : %2.</translation>
    </message>
    <message>
        <source>answered 410 Gone at %1</source>
        <translation>a répondu 410 Gone à %1</translation>
    </message>
    <message numerus="yes">
        <source>%n deliveries in a row failed</source>
        <translation>
            <numerusform>%n livraison en échec d’affilée</numerusform>
            <numerusform>%n livraisons en échec d’affilée</numerusform>
        </translation>
    </message>
    <message>
        <source>Delivery %1 is being attempted right now.</source>
        <translation>La livraison %1 est en cours d’envoi.</translation>
    </message>
    <message>
        <source>The endpoint of delivery %1 was removed.</source>
        <translation>Le point de terminaison de la livraison %1 a été supprimé.</translation>
    </message>
    <message>
        <source>The database cannot be written.</source>
        <translation>La base de données ne peut pas être écrite.</translation>
    </message>
    <message>
        <source>The delivery could not be recorded, so it was not sent: %1. %2</source>
        <translation>La livraison n’a pas pu être enregistrée, elle n’a donc pas été envoyée : %1. %2</translation>
    </message>
    <message>
        <source>No address found.</source>
        <translation>Aucune adresse trouvée.</translation>
    </message>
    <message>
        <source>Host %1 not found: %2</source>
        <translation>Hôte %1 introuvable : %2</translation>
    </message>
</context>
<context>
    <name>EgressPolicy</name>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>The address %1 is not public, and the egress policy is “public-only”. Add the host or its range to the policy&apos;s allow-list if it should be reached.</source>
        <translation>L’adresse %1 n’est pas publique et la politique de sortie est « public-only ». Ajoutez l’hôte ou sa plage à la liste d’autorisation de la politique s’il doit être joignable.</translation>
    </message>
    <message>
        <source>The address %1 is link-local, cloud metadata or otherwise not routable, which the egress policy “no-link-local” blocks. Add the host or its range to the policy&apos;s allow-list if it should be reached.</source>
        <translation>L’adresse %1 est locale au lien, de métadonnées cloud ou non routable, ce que la politique de sortie « no-link-local » bloque. Ajoutez l’hôte ou sa plage à la liste d’autorisation de la politique s’il doit être joignable.</translation>
    </message>
</context>
<context>
    <name>EndpointDialog</name>
    <message>
        <source>Add endpoint</source>
        <translation>Ajouter un point de terminaison</translation>
    </message>
    <message>
        <source>Edit endpoint “%1”</source>
        <translation>Modifier le point de terminaison « %1 »</translation>
    </message>
    <message>
        <source>CRM call log</source>
        <translation>Journal d’appels CRM</translation>
    </message>
    <message>
        <source>&amp;Name</source>
        <translation>&amp;Nom</translation>
    </message>
    <message>
        <source>https://crm.example.com/hooks/calls</source>
        <translation>https://crm.exemple.fr/hooks/appels</translation>
    </message>
    <message>
        <source>Use a local test &amp;inbox</source>
        <translation>Utiliser une &amp;boîte de test locale</translation>
    </message>
    <message>
        <source>Point this endpoint at Hookline&apos;s built-in receiver</source>
        <translation>Diriger ce point de terminaison vers le récepteur intégré de Hookline</translation>
    </message>
    <message>
        <source>&amp;URL</source>
        <translation>&amp;URL</translation>
    </message>
    <message>
        <source>Descri&amp;ption</source>
        <translation>De&amp;scription</translation>
    </message>
    <message>
        <source>Deliver events to this endpoint</source>
        <translation>Livrer les événements à ce point de terminaison</translation>
    </message>
    <message>
        <source>&amp;Enabled</source>
        <translation>&amp;Activé</translation>
    </message>
    <message>
        <source>Disabled by Hookline: %1</source>
        <translation>Désactivé par Hookline : %1</translation>
    </message>
    <message>
        <source>&amp;All events, including ones added later</source>
        <translation>Tous les événements, &amp;y compris ceux ajoutés plus tard</translation>
    </message>
    <message>
        <source>E&amp;vents</source>
        <translation>É&amp;vénements</translation>
    </message>
    <message>
        <source>JSON (application/json)</source>
        <translation>JSON (application/json)</translation>
    </message>
    <message>
        <source>XML (application/xml)</source>
        <translation>XML (application/xml)</translation>
    </message>
    <message>
        <source>Form (application/x-www-form-urlencoded)</source>
        <translation>Formulaire (application/x-www-form-urlencoded)</translation>
    </message>
    <message>
        <source>&amp;Format</source>
        <translation>&amp;Format</translation>
    </message>
    <message>
        <source>Header</source>
        <translation>En-tête</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Custom headers</source>
        <translation>En-têtes personnalisés</translation>
    </message>
    <message>
        <source>Add &amp;header</source>
        <translation>A&amp;jouter un en-tête</translation>
    </message>
    <message>
        <source>Remove header</source>
        <translation>Retirer l’en-tête</translation>
    </message>
    <message>
        <source>&amp;Custom headers</source>
        <translation>En-têtes pers&amp;onnalisés</translation>
    </message>
    <message>
        <source>empty: deliveries are not signed</source>
        <translation>vide : les livraisons ne sont pas signées</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>&amp;Générer</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Afficher</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>&amp;Rotate</source>
        <translation>R&amp;enouveler</translation>
    </message>
    <message>
        <source>New secret; the current one stays valid for 24 hours</source>
        <translation>Nouveau secret ; l’actuel reste valable 24 heures</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>Masquer</translation>
    </message>
    <message>
        <source>Signing &amp;secret</source>
        <translation>Secre&amp;t de signature</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>&amp;Timeout</source>
        <translation>&amp;Délai</translation>
    </message>
    <message>
        <source>Ma&amp;x attempts</source>
        <translation>Tentatives ma&amp;x.</translation>
    </message>
    <message>
        <source>Seconds to wait before each retry, e.g. 5, 300, 1800</source>
        <translation>Secondes d’attente avant chaque nouvelle tentative, p. ex. 5, 300, 1800</translation>
    </message>
    <message>
        <source>Retry &amp;delays (s)</source>
        <translation>Déla&amp;is de relance (s)</translation>
    </message>
    <message>
        <source>never</source>
        <translation>jamais</translation>
    </message>
    <message>
        <source> failed deliveries in a row</source>
        <translation> livraisons en échec d’affilée</translation>
    </message>
    <message>
        <source>Disab&amp;le after</source>
        <translation>Désactiver a&amp;près</translation>
    </message>
    <message>
        <source>Verify TLS certificates (turn off only for testing)</source>
        <translation>Vérifier les certificats TLS (à désactiver uniquement pour les tests)</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>HTTP/2 without TLS (prior knowledge)</source>
        <translation>HTTP/2 sans TLS (connaissance préalable)</translation>
    </message>
    <message>
        <source>HTTP/2</source>
        <translation>HTTP/2</translation>
    </message>
    <message>
        <source>Local test inbox</source>
        <translation>Boîte de test locale</translation>
    </message>
    <message>
        <source>“%1” is not a number of seconds. Write the delays like 5, 300, 1800.</source>
        <translation>« %1 » n’est pas un nombre de secondes. Écrivez les délais ainsi : 5, 300, 1800.</translation>
    </message>
    <message>
        <source>&amp;Only HTTP/1.1, even if the server offers HTTP/2</source>
        <translation>Uni&amp;quement HTTP/1.1, même si le serveur propose HTTP/2</translation>
    </message>
    <message>
        <source>HTTP/1.1</source>
        <translation>HTTP/1.1</translation>
    </message>
    <message>
        <source> attempts at once</source>
        <translation> tentatives simultanées</translation>
    </message>
    <message>
        <source>How many deliveries to this endpoint may be under way at the same time. A slow receiver needs more; 1 sends one at a time.</source>
        <translation>Combien de livraisons vers ce point de terminaison peuvent être en cours en même temps. Un récepteur lent en demande davantage ; 1 les envoie une par une.</translation>
    </message>
    <message>
        <source>Concurrenc&amp;y</source>
        <translation>Si&amp;multanéité</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>sans limite</translation>
    </message>
    <message>
        <source> per second</source>
        <translation> par seconde</translation>
    </message>
    <message>
        <source>The most deliveries started per second, on average, for receivers that throttle. Deliveries beyond it wait their turn; none are lost.</source>
        <translation>Le nombre maximal de livraisons lancées par seconde, en moyenne, pour les récepteurs qui limitent le débit. Les livraisons au-delà attendent leur tour ; aucune n’est perdue.</translation>
    </message>
    <message>
        <source>Rate li&amp;mit</source>
        <translation>&amp;Limite de débit</translation>
    </message>
    <message>
        <source>the rate, rounded up</source>
        <translation>le débit, arrondi au-dessus</translation>
    </message>
    <message>
        <source>How many deliveries may start at once after a quiet spell.</source>
        <translation>Combien de livraisons peuvent partir d’un coup après une période calme.</translation>
    </message>
    <message>
        <source>&amp;Burst</source>
        <translation>&amp;Rafale</translation>
    </message>
    <message>
        <source>off — for example /callID</source>
        <translation>désactivé — par exemple /callID</translation>
    </message>
    <message>
        <source>A field of the payload, as a JSON pointer. Deliveries whose payloads hold the same value there reach this endpoint one at a time, in the order they were published; a failing one holds the later ones back until it succeeds or gives up.</source>
        <translation>Un champ du contenu, sous forme de pointeur JSON. Les livraisons dont le contenu a la même valeur à cet endroit arrivent à ce point de terminaison une par une, dans l’ordre de publication ; une livraison en échec retient les suivantes jusqu’à ce qu’elle réussisse ou abandonne.</translation>
    </message>
    <message>
        <source>Order &amp;key</source>
        <translation>&amp;Clé d’ordre</translation>
    </message>
</context>
<context>
    <name>EndpointValidation</name>
    <message>
        <source>a space</source>
        <translation>une espace</translation>
    </message>
    <message>
        <source>a tab</source>
        <translation>une tabulation</translation>
    </message>
    <message>
        <source>a carriage return (CR)</source>
        <translation>un retour chariot (CR)</translation>
    </message>
    <message>
        <source>a line feed (LF)</source>
        <translation>un saut de ligne (LF)</translation>
    </message>
    <message>
        <source>a NUL byte</source>
        <translation>un octet NUL</translation>
    </message>
    <message>
        <source>the control character U+%1</source>
        <translation>le caractère de contrôle U+%1</translation>
    </message>
    <message>
        <source>Enter the URL that should receive the webhooks, for example https://crm.example.com/hooks/calls.</source>
        <translation>Saisissez l’URL qui doit recevoir les webhooks, par exemple https://crm.exemple.fr/hooks/appels.</translation>
    </message>
    <message>
        <source>The URL %1 is %2 characters long; the limit is %3. Use a shorter path or move parameters into a header.</source>
        <translation>L’URL %1 compte %2 caractères ; la limite est %3. Utilisez un chemin plus court ou placez les paramètres dans un en-tête.</translation>
    </message>
    <message>
        <source>The URL %1 contains %2 at position %3. Remove it, or percent-encode it (a space is %20).</source>
        <translation>L’URL %1 contient %2 à la position %3. Supprimez-le ou encodez-le en pourcentage (une espace s’écrit %20).</translation>
    </message>
    <message>
        <source>%1 has no scheme. Start it with https:// (or http:// for a local test server).</source>
        <translation>%1 n’a pas de schéma. Commencez-la par https:// (ou http:// pour un serveur de test local).</translation>
    </message>
    <message>
        <source>%1 uses the scheme “%2”; webhooks are delivered only over http:// and https://.</source>
        <translation>%1 utilise le schéma « %2 » ; les webhooks ne sont livrés qu’en http:// et https://.</translation>
    </message>
    <message>
        <source>%1 has no host name. Write it as %2://host[:port]/path.</source>
        <translation>%1 n’a pas de nom d’hôte. Écrivez-la sous la forme %2://hôte[:port]/chemin.</translation>
    </message>
    <message>
        <source>The host name “%1” in %2 is not a valid internationalized (IDNA) name.</source>
        <translation>Le nom d’hôte « %1 » dans %2 n’est pas un nom internationalisé (IDNA) valide.</translation>
    </message>
    <message>
        <source>%1 has a fragment (#%2), which is never sent to the server. Remove it.</source>
        <translation>%1 contient un fragment (#%2), qui n’est jamais envoyé au serveur. Supprimez-le.</translation>
    </message>
    <message>
        <source>A custom header has no name. Give it a name such as X-Api-Key, or remove the row.</source>
        <translation>Un en-tête personnalisé n’a pas de nom. Donnez-lui un nom comme X-Api-Key, ou supprimez la ligne.</translation>
    </message>
    <message>
        <source>The header name %1 contains %2, which is not allowed in a header name. Use letters, digits and !#$%&amp;&apos;*+-.^_`|~ only.</source>
        <translation>Le nom d’en-tête %1 contient %2, qui n’est pas permis dans un nom d’en-tête. N’utilisez que des lettres, des chiffres et !#$%&amp;&apos;*+-.^_`|~.</translation>
    </message>
    <message>
        <source>The header %1 is set by Hookline itself and cannot be overridden. Remove it.</source>
        <translation>L’en-tête %1 est défini par Hookline lui-même et ne peut pas être remplacé. Supprimez-le.</translation>
    </message>
    <message>
        <source>The value of header %1 contains a line break (%2), which would inject extra headers into the request. Remove it: %3</source>
        <translation>La valeur de l’en-tête %1 contient un saut de ligne (%2), qui injecterait des en-têtes supplémentaires dans la requête. Supprimez-le : %3</translation>
    </message>
    <message>
        <source>The value of header %1 contains a NUL byte. Remove it: %2</source>
        <translation>La valeur de l’en-tête %1 contient un octet NUL. Supprimez-le : %2</translation>
    </message>
    <message>
        <source>The value of header %1 contains %2. Remove it: %3</source>
        <translation>La valeur de l’en-tête %1 contient %2. Supprimez-le : %3</translation>
    </message>
    <message>
        <source>The value of header %1 is %2 characters long; the limit is %3.</source>
        <translation>La valeur de l’en-tête %1 compte %2 caractères ; la limite est %3.</translation>
    </message>
    <message>
        <source>The header %1 is listed twice. Keep one row and put the value there.</source>
        <translation>L’en-tête %1 apparaît deux fois. Gardez une seule ligne et mettez-y la valeur.</translation>
    </message>
    <message>
        <source>The signing secret must start with “whsec_” followed by base64; %1 does not. Use Generate to create one.</source>
        <translation>Le secret de signature doit commencer par « whsec_ » suivi de base64 ; %1 ne le fait pas. Utilisez Générer pour en créer un.</translation>
    </message>
    <message>
        <source>The part of the signing secret after “whsec_” is not valid base64. Use Generate to create a new secret.</source>
        <translation>La partie du secret de signature après « whsec_ » n’est pas du base64 valide. Utilisez Générer pour créer un nouveau secret.</translation>
    </message>
    <message>
        <source>The signing secret holds %1 bytes; it must hold 24 to 64 random bytes. Use Generate to create one.</source>
        <translation>Le secret de signature contient %1 octets ; il doit contenir de 24 à 64 octets aléatoires. Utilisez Générer pour en créer un.</translation>
    </message>
    <message>
        <source>Maximum attempts is %1; choose between 1 and %2.</source>
        <translation>Le nombre maximal de tentatives est %1 ; choisissez entre 1 et %2.</translation>
    </message>
    <message>
        <source>The retry schedule is empty but %1 attempts are allowed. Add at least one delay, for example 5, 300, 1800 (seconds).</source>
        <translation>Le calendrier de relance est vide alors que %1 tentatives sont permises. Ajoutez au moins un délai, par exemple 5, 300, 1800 (secondes).</translation>
    </message>
    <message>
        <source>The retry delay %1 s is out of range; each delay must be between 0 s and %2 s (one week).</source>
        <translation>Le délai de relance de %1 s est hors limites ; chaque délai doit être compris entre 0 s et %2 s (une semaine).</translation>
    </message>
    <message>
        <source>The name is %1 characters long; keep it under 200.</source>
        <translation>Le nom compte %1 caractères ; restez sous 200.</translation>
    </message>
    <message>
        <source>The timeout is %1 ms; choose between %2 ms and %3 ms.</source>
        <translation>Le délai est de %1 ms ; choisissez entre %2 ms et %3 ms.</translation>
    </message>
    <message>
        <source>Pick at least one event, or choose All events.</source>
        <translation>Choisissez au moins un événement, ou Tous les événements.</translation>
    </message>
    <message>
        <source>Unknown event type %1. Known types: %2.</source>
        <translation>Type d’événement inconnu %1. Types connus : %2.</translation>
    </message>
    <message>
        <source>Cleartext HTTP/2 applies only to http:// URLs; over https:// HTTP/2 is negotiated automatically. Turn the option off or use http://.</source>
        <translation>HTTP/2 en clair ne s’applique qu’aux URL http:// ; en https://, HTTP/2 est négocié automatiquement. Désactivez l’option ou utilisez http://.</translation>
    </message>
    <message>
        <source>%1 is not a header. Write it as “Name: value”, for example “X-Api-Key: 123”.</source>
        <translation>%1 n’est pas un en-tête. Écrivez-le « Nom: valeur », par exemple « X-Api-Key: 123 ».</translation>
    </message>
    <message>
        <source>“Disable after failures” is %1; use 0 (never) or a positive count.</source>
        <translation>« Désactiver après des échecs » vaut %1 ; utilisez 0 (jamais) ou un nombre positif.</translation>
    </message>
    <message>
        <source>Give the endpoint a name, such as “CRM call log”.</source>
        <translation>Donnez un nom au point de terminaison, par exemple « Journal d’appels CRM ».</translation>
    </message>
    <message>
        <source>%1 holds a user name or password, which would be stored and shown with the URL. Remove it and send the credentials in a custom header (Authorization: Basic …) instead.</source>
        <translation>%1 contient un nom d’utilisateur ou un mot de passe, qui serait enregistré et affiché avec l’URL. Retirez-le et envoyez plutôt les identifiants dans un en-tête personnalisé (Authorization: Basic …).</translation>
    </message>
    <message>
        <source>%1 names port 0, which cannot be connected to. Use a port from 1 to 65535, or none for the scheme&apos;s default.</source>
        <translation>%1 indique le port 0, auquel on ne peut pas se connecter. Utilisez un port de 1 à 65535, ou aucun pour celui du schéma.</translation>
    </message>
    <message>
        <source>The header %1 belongs to one connection or proxy hop, not to the webhook, and cannot be sent as a custom header. Remove it.</source>
        <translation>L’en-tête %1 concerne une connexion ou un saut de proxy, pas le webhook, et ne peut pas être envoyé comme en-tête personnalisé. Supprimez-le.</translation>
    </message>
    <message>
        <source>the invisible character U+%1</source>
        <translation>le caractère invisible U+%1</translation>
    </message>
    <message>
        <source>The rate limit is %1 deliveries per second; use 0 (no limit) or up to %2.</source>
        <translation>La limite de débit est de %1 livraisons par seconde ; utilisez 0 (sans limite) ou jusqu’à %2.</translation>
    </message>
    <message>
        <source>The rate limit %1 per second is below one delivery in 100 s; use at least 0.01, or 0 for no limit.</source>
        <translation>La limite de %1 par seconde est inférieure à une livraison toutes les 100 s ; utilisez au moins 0,01, ou 0 pour aucune limite.</translation>
    </message>
    <message>
        <source>The burst is %1; use 0 (the rate, rounded up) or up to %2.</source>
        <translation>La rafale est de %1 ; utilisez 0 (le débit, arrondi au-dessus) ou jusqu’à %2.</translation>
    </message>
    <message>
        <source>An endpoint cannot both force HTTP/1.1 and use cleartext HTTP/2. Turn one of the two off.</source>
        <translation>Un point de terminaison ne peut pas à la fois imposer HTTP/1.1 et utiliser HTTP/2 sans TLS. Désactivez l’un des deux.</translation>
    </message>
    <message>
        <source>The concurrency is %1 attempts at once; choose from %2 to %3.</source>
        <translation>La simultanéité est de %1 tentatives ; choisissez entre %2 et %3.</translation>
    </message>
    <message>
        <source>The ordering field %1 is not a JSON pointer. Write it as a path from the payload&apos;s top, such as /callID or /agent/id.</source>
        <translation>Le champ d’ordre %1 n’est pas un pointeur JSON. Écrivez-le comme un chemin depuis le haut du contenu, par exemple /callID ou /agent/id.</translation>
    </message>
    <message>
        <source>%1 names the port %2; a port is a number from 1 to 65535 (or none, for the scheme&apos;s default).</source>
        <translation>%1 indique le port %2 ; un port est un nombre de 1 à 65535 (ou aucun, pour celui du schéma par défaut).</translation>
    </message>
    <message>
        <source>The IPv6 address in %1 has no closing bracket. Write it as http://[::1]:8080/path.</source>
        <translation>L’adresse IPv6 de %1 n’a pas de crochet fermant. Écrivez-la ainsi : http://[::1]:8080/chemin.</translation>
    </message>
    <message>
        <source>%1 is not a valid URL: check the host name (letters, digits, dots and hyphens, or an address) and write it as https://host[:port]/path.</source>
        <translation>%1 n’est pas une URL valide : vérifiez le nom d’hôte (lettres, chiffres, points et tirets, ou une adresse) et écrivez-la ainsi : https://hôte[:port]/chemin.</translation>
    </message>
</context>
<context>
    <name>EndpointView</name>
    <message>
        <source>due now</source>
        <translation>à faire maintenant</translation>
    </message>
    <message>
        <source>in %1 s</source>
        <translation>dans %1 s</translation>
    </message>
    <message>
        <source>in %1 min</source>
        <translation>dans %1 min</translation>
    </message>
    <message>
        <source>in %1 h</source>
        <translation>dans %1 h</translation>
    </message>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>Resend failed deliveries</source>
        <translation>Renvoyer les livraisons échouées</translation>
    </message>
    <message>
        <source>Every delivery to this endpoint that failed or was cancelled since this time is sent again, in the order it was published.</source>
        <translation>Chaque livraison vers ce point de terminaison qui a échoué ou a été annulée depuis ce moment est renvoyée, dans l’ordre de publication.</translation>
    </message>
    <message>
        <source>&amp;Since:</source>
        <translation>&amp;Depuis :</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>Période</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Dernière heure</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Dernières 24 heures</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>&amp;Resend failed since…</source>
        <translation>&amp;Renvoyer les échecs depuis…</translation>
    </message>
    <message>
        <source>After an outage: send again everything this endpoint missed (failed and cancelled deliveries since a time you choose)</source>
        <translation>Après une panne : renvoyer tout ce que ce point de terminaison a manqué (livraisons échouées et annulées depuis le moment choisi)</translation>
    </message>
    <message>
        <source>Recent deliveries</source>
        <translation>Livraisons récentes</translation>
    </message>
    <message>
        <source>Send the selected delivery again now</source>
        <translation>Renvoyer maintenant la livraison sélectionnée</translation>
    </message>
    <message>
        <source>Retrying deliveries</source>
        <translation>Livraisons en relance</translation>
    </message>
    <message>
        <source>Next try</source>
        <translation>Prochain essai</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Événement</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Tentatives</translation>
    </message>
    <message>
        <source>Last outcome</source>
        <translation>Dernier résultat</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>Livraison</translation>
    </message>
    <message>
        <source>Retrying</source>
        <translation>En relance</translation>
    </message>
    <message>
        <source>Request and response</source>
        <translation>Requête et réponse</translation>
    </message>
    <message>
        <source>No endpoint selected</source>
        <translation>Aucun point de terminaison sélectionné</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>Désactivé</translation>
    </message>
    <message>
        <source>Disabled: %1</source>
        <translation>Désactivé : %1</translation>
    </message>
    <message>
        <source>%1+</source>
        <translation>%1+</translation>
    </message>
    <message>
        <source>%1 attempts</source>
        <translation>%1 tentatives</translation>
    </message>
    <message>
        <source>%1 succeeded</source>
        <translation>%1 réussies</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>latency p50 %1 · p95 %2 · p99 %3</source>
        <translation>latence p50 %1 · p95 %2 · p99 %3</translation>
    </message>
    <message>
        <source>%1 queued</source>
        <translation>%1 en file</translation>
    </message>
    <message>
        <source>%1 in flight</source>
        <translation>%1 en cours</translation>
    </message>
    <message>
        <source>%1 retrying</source>
        <translation>%1 en relance</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Retrying (%1)</source>
        <translation>En relance (%1)</translation>
    </message>
    <message>
        <source>Select a delivery to redeliver.</source>
        <translation>Sélectionnez une livraison à relivrer.</translation>
    </message>
    <message>
        <source>Redelivering %1…</source>
        <translation>Nouvelle livraison de %1…</translation>
    </message>
    <message>
        <source>The history could not be read.</source>
        <translation>L’historique n’a pas pu être lu.</translation>
    </message>
    <message>
        <source>Nothing to resend: no delivery to “%1” failed or was cancelled since %2.</source>
        <translation>Rien à renvoyer : aucune livraison vers « %1 » n’a échoué ni n’a été annulée depuis %2.</translation>
    </message>
    <message>
        <source>Resend to “%1” what failed or was cancelled since %2?

Deliveries to resend: %3, oldest first.</source>
        <translation>Renvoyer à « %1 » ce qui a échoué ou a été annulé depuis %2 ?

Livraisons à renvoyer : %3, les plus anciennes d’abord.</translation>
    </message>
    <message>
        <source>The endpoint is disabled; it is enabled first.</source>
        <translation>Le point de terminaison est désactivé ; il sera d’abord activé.</translation>
    </message>
    <message>
        <source>Resending to “%1”: %2 in all.</source>
        <translation>Renvoi vers « %1 » : %2 au total.</translation>
    </message>
    <message>
        <source>Redel&amp;iver</source>
        <translation>Relivr&amp;er</translation>
    </message>
</context>
<context>
    <name>EndpointsModel</name>
    <message>
        <source>Disabled: %1</source>
        <translation>Désactivé : %1</translation>
    </message>
    <message>
        <source>enabled</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>désactivé</translation>
    </message>
    <message>
        <source>all</source>
        <translation>tous</translation>
    </message>
    <message>
        <source>never sent</source>
        <translation>jamais envoyé</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>Événements</translation>
    </message>
    <message>
        <source>Last status</source>
        <translation>Dernier statut</translation>
    </message>
    <message>
        <source>Success</source>
        <translation>Réussite</translation>
    </message>
    <message>
        <source>Deliveries waiting, retrying or being attempted</source>
        <translation>Livraisons en attente, en relance ou en cours</translation>
    </message>
    <message>
        <source>Attempts under way now in this window</source>
        <translation>Tentatives en cours dans cette fenêtre</translation>
    </message>
    <message numerus="yes">
        <source>At most %n attempt(s) at once</source>
        <translation>
            <numerusform>Au plus %n tentative à la fois</numerusform>
            <numerusform>Au plus %n tentatives à la fois</numerusform>
        </translation>
    </message>
    <message>
        <source>At most %1 per second, bursts of %2</source>
        <translation>Au plus %1 par seconde, rafales de %2</translation>
    </message>
    <message>
        <source>HTTP/1.1 only</source>
        <translation>HTTP/1.1 uniquement</translation>
    </message>
    <message>
        <source>%1+</source>
        <translation>%1+</translation>
    </message>
    <message>
        <source>%1 at once, %2/s</source>
        <translation>%1 simultanées, %2/s</translation>
    </message>
    <message>
        <source>%1 at once</source>
        <translation>%1 simultanées</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>En file</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>En cours</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>Limites</translation>
    </message>
</context>
<context>
    <name>EndpointsPage</name>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>A&amp;jouter…</translation>
    </message>
    <message>
        <source>Register a new endpoint (Ctrl+N)</source>
        <translation>Enregistrer un nouveau point de terminaison (Ctrl+N)</translation>
    </message>
    <message>
        <source>Add &amp;local test endpoint</source>
        <translation>Ajouter un point de test &amp;local</translation>
    </message>
    <message>
        <source>An endpoint that delivers to Hookline&apos;s built-in receiver</source>
        <translation>Un point de terminaison qui livre au récepteur intégré de Hookline</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>&amp;Modifier…</translation>
    </message>
    <message>
        <source>D&amp;uplicate</source>
        <translation>D&amp;upliquer</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Supprimer</translation>
    </message>
    <message>
        <source>Disa&amp;ble</source>
        <translation>Désacti&amp;ver</translation>
    </message>
    <message>
        <source>Test event</source>
        <translation>Événement de test</translation>
    </message>
    <message>
        <source>Send &amp;test</source>
        <translation>Envoyer un &amp;test</translation>
    </message>
    <message>
        <source>Endpoints</source>
        <translation>Points de terminaison</translation>
    </message>
    <message>
        <source>No endpoints yet. &lt;b&gt;Add…&lt;/b&gt; registers a URL that should receive webhooks; &lt;b&gt;Add local test endpoint&lt;/b&gt; creates one that delivers to Hookline&apos;s own receiver, so you can try everything right away.</source>
        <translation>Aucun point de terminaison pour l’instant. &lt;b&gt;Ajouter…&lt;/b&gt; enregistre une URL qui doit recevoir les webhooks ; &lt;b&gt;Ajouter un point de test local&lt;/b&gt; en crée un qui livre au récepteur de Hookline, pour tout essayer tout de suite.</translation>
    </message>
    <message>
        <source>Ena&amp;ble</source>
        <translation>Acti&amp;ver</translation>
    </message>
    <message>
        <source>Endpoint not saved</source>
        <translation>Point de terminaison non enregistré</translation>
    </message>
    <message>
        <source>Saved endpoint “%1”.</source>
        <translation>Point de terminaison « %1 » enregistré.</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>Récepteur</translation>
    </message>
    <message>
        <source>Local test inbox</source>
        <translation>Boîte de test locale</translation>
    </message>
    <message>
        <source>Delivers to Hookline&apos;s built-in receiver (Receiver page).</source>
        <translation>Livre au récepteur intégré de Hookline (page Récepteur).</translation>
    </message>
    <message>
        <source>Added “%1” at %2.</source>
        <translation>« %1 » ajouté à %2.</translation>
    </message>
    <message>
        <source>%1 (copy)</source>
        <translation>%1 (copie)</translation>
    </message>
    <message>
        <source>Delete the endpoint “%1” (%2)? Its delivery history is kept.</source>
        <translation>Supprimer le point de terminaison « %1 » (%2) ? Son historique de livraisons est conservé.</translation>
    </message>
    <message>
        <source>Deleted “%1”.</source>
        <translation>« %1 » supprimé.</translation>
    </message>
    <message>
        <source>Disabled “%1”.</source>
        <translation>« %1 » désactivé.</translation>
    </message>
    <message>
        <source>Enabled “%1”.</source>
        <translation>« %1 » activé.</translation>
    </message>
    <message>
        <source>Send test</source>
        <translation>Envoyer un test</translation>
    </message>
    <message>
        <source>Sent %1 — watch it on the Live page (Ctrl+3).</source>
        <translation>%1 envoyé — suivez-le sur la page En direct (Ctrl+3).</translation>
    </message>
    <message>
        <source>Send the chosen event to the selected endpoint now, even when it is disabled (Ctrl+T)</source>
        <translation>Envoyer maintenant l’événement choisi au point de terminaison sélectionné, même désactivé (Ctrl+T)</translation>
    </message>
    <message>
        <source>Local test inbox (%1)</source>
        <translation>Boîte de test locale (%1)</translation>
    </message>
</context>
<context>
    <name>Engine</name>
    <message>
        <source>disabled by the admin</source>
        <translation>désactivé par l’administrateur</translation>
    </message>
    <message>
        <source>Unknown event type “%1”. Known types: %2.</source>
        <translation>Type d’événement inconnu « %1 ». Types connus : %2.</translation>
    </message>
    <message>
        <source>No delivery has the id “%1”.</source>
        <translation>Aucune livraison n’a l’identifiant « %1 ».</translation>
    </message>
    <message>
        <source>The database could not be written: %1. %2</source>
        <translation>Impossible d’écrire dans la base de données : %1. %2</translation>
    </message>
    <message>
        <source>The token could not be stored: %1. %2</source>
        <translation>Le jeton n’a pas pu être enregistré : %1. %2</translation>
    </message>
    <message>
        <source>There is no API token %1.</source>
        <translation>Il n’y a pas de jeton d’API %1.</translation>
    </message>
    <message>
        <source>The token could not be revoked: %1</source>
        <translation>Le jeton n’a pas pu être révoqué : %1</translation>
    </message>
    <message>
        <source>The payload is %1 bytes; the limit is %2 bytes. Send less, or raise the limit (hookline settings set payload-limit BYTES).</source>
        <translation>Le contenu fait %1 octets ; la limite est de %2 octets. Envoyez moins, ou relevez la limite (hookline settings set payload-limit OCTETS).</translation>
    </message>
    <message>
        <source>%1 attempts at once is out of range; choose from 1 to %2.</source>
        <translation>%1 tentatives simultanées est hors limites ; choisissez entre 1 et %2.</translation>
    </message>
    <message>
        <source>There is no endpoint %1.</source>
        <translation>Il n’y a pas de point de terminaison %1.</translation>
    </message>
    <message>
        <source>The endpoint “%1” is disabled: enable it first, then resend. (Send it a test to check that it answers again.)</source>
        <translation>Le point de terminaison « %1 » est désactivé : activez-le d’abord, puis renvoyez. (Envoyez-lui un test pour vérifier qu’il répond à nouveau.)</translation>
    </message>
</context>
<context>
    <name>EventCatalog</name>
    <message>
        <source>Call Created</source>
        <translation>Appel créé</translation>
    </message>
    <message>
        <source>A call starts. Tells the start time, and the end time and reason if the call was missed.</source>
        <translation>Un appel commence. Indique l’heure de début, et l’heure de fin et le motif si l’appel a été manqué.</translation>
    </message>
    <message>
        <source>Call Ringing</source>
        <translation>Appel qui sonne</translation>
    </message>
    <message>
        <source>The call rings on an agent&apos;s phone. Tells the caller and callee names and numbers.</source>
        <translation>L’appel sonne sur le poste d’un agent. Indique les noms et numéros de l’appelant et de l’appelé.</translation>
    </message>
    <message>
        <source>Call Answered</source>
        <translation>Appel décroché</translation>
    </message>
    <message>
        <source>Inbound: an agent picks up; outbound: the external party picks up. Tells the customer information.</source>
        <translation>Entrant : un agent décroche ; sortant : le correspondant externe décroche. Indique les informations du client.</translation>
    </message>
    <message>
        <source>Call Ended</source>
        <translation>Appel terminé</translation>
    </message>
    <message>
        <source>The call is hung up. Tells the duration, ring and talk time, disposition and the recording reference.</source>
        <translation>L’appel est raccroché. Indique la durée, les temps de sonnerie et de conversation, la qualification et la référence de l’enregistrement.</translation>
    </message>
    <message>
        <source>Agent Login</source>
        <translation>Connexion d’un agent</translation>
    </message>
    <message>
        <source>An agent logs in. Tells the time and the agent&apos;s profile.</source>
        <translation>Un agent se connecte. Indique l’heure et le profil de l’agent.</translation>
    </message>
    <message>
        <source>Agent Logout</source>
        <translation>Déconnexion d’un agent</translation>
    </message>
    <message>
        <source>An agent logs out. Tells the total engagement time and the shift&apos;s activities.</source>
        <translation>Un agent se déconnecte. Indique le temps total d’activité et les activités de la session.</translation>
    </message>
    <message>
        <source>Give the event type %1 a display name.</source>
        <translation>Donnez un nom d’affichage au type d’événement %1.</translation>
    </message>
    <message>
        <source>%1 is a built-in event type; it can be edited or reset, not removed.</source>
        <translation>%1 est un type d’événement intégré ; il peut être modifié ou réinitialisé, pas supprimé.</translation>
    </message>
    <message>
        <source>There is no event type %1.</source>
        <translation>Le type d’événement %1 n’existe pas.</translation>
    </message>
    <message>
        <source>Unknown event type “%1”. Known types: %2.</source>
        <translation>Type d’événement inconnu « %1 ». Types connus : %2.</translation>
    </message>
    <message>
        <source>The scenario needs the event type %1, which is missing from the catalog.</source>
        <translation>Le scénario a besoin du type d’événement %1, absent du catalogue.</translation>
    </message>
    <message>
        <source>Event type %1: %2</source>
        <translation>Type d’événement %1 : %2</translation>
    </message>
</context>
<context>
    <name>EventType</name>
    <message>
        <source>Give the event type an id such as call.transferred.</source>
        <translation>Donnez au type d’événement un identifiant comme call.transferred.</translation>
    </message>
    <message>
        <source>The event type id %1 is not valid. Use lower-case words of letters, digits, &apos;-&apos; or &apos;_&apos;, joined by dots, like call.transferred.</source>
        <translation>L’identifiant de type d’événement %1 n’est pas valide. Utilisez des mots en minuscules (lettres, chiffres, « - » ou « _ ») reliés par des points, comme call.transferred.</translation>
    </message>
</context>
<context>
    <name>EventsPage</name>
    <message>
        <source>Event types</source>
        <translation>Types d’événements</translation>
    </message>
    <message>
        <source>&amp;New event type…</source>
        <translation>&amp;Nouveau type d’événement…</translation>
    </message>
    <message>
        <source>Send to</source>
        <translation>Envoyer à</translation>
    </message>
    <message>
        <source>Send &amp;test</source>
        <translation>Envoyer un &amp;test</translation>
    </message>
    <message>
        <source>Render this event and send it now (Ctrl+T)</source>
        <translation>Générer cet événement et l’envoyer maintenant (Ctrl+T)</translation>
    </message>
    <message>
        <source>Run &amp;call scenario</source>
        <translation>Lancer le scénario d’&amp;appel</translation>
    </message>
    <message>
        <source>Created, ringing, answered and ended of one call, in order</source>
        <translation>Création, sonnerie, décroché et fin d’un même appel, dans l’ordre</translation>
    </message>
    <message>
        <source>Run agent s&amp;hift</source>
        <translation>Lancer une session d’a&amp;gent</translation>
    </message>
    <message>
        <source>Send to:</source>
        <translation>Envoyer à :</translation>
    </message>
    <message>
        <source>Template</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>&amp;Save template</source>
        <translation>&amp;Enregistrer le modèle</translation>
    </message>
    <message>
        <source>Payload template</source>
        <translation>Modèle de contenu</translation>
    </message>
    <message>
        <source>Sample payload</source>
        <translation>Exemple de contenu</translation>
    </message>
    <message>
        <source>&amp;Render again</source>
        <translation>&amp;Régénérer</translation>
    </message>
    <message>
        <source>Render the template with fresh sample values (Ctrl+R)</source>
        <translation>Générer le modèle avec de nouvelles valeurs d’exemple (Ctrl+R)</translation>
    </message>
    <message>
        <source>%1 (custom)</source>
        <translation>%1 (personnalisé)</translation>
    </message>
    <message>
        <source>Every subscribed endpoint</source>
        <translation>Chaque point de terminaison abonné</translation>
    </message>
    <message>
        <source>%1 (disabled)</source>
        <translation>%1 (désactivé)</translation>
    </message>
    <message>
        <source>Template not saved</source>
        <translation>Modèle non enregistré</translation>
    </message>
    <message>
        <source>Saved the template of %1.</source>
        <translation>Modèle de %1 enregistré.</translation>
    </message>
    <message>
        <source>New event type</source>
        <translation>Nouveau type d’événement</translation>
    </message>
    <message>
        <source>Id (lower-case words joined by dots, e.g. call.transferred):</source>
        <translation>Identifiant (mots en minuscules reliés par des points, p. ex. call.transferred) :</translation>
    </message>
    <message>
        <source>A custom event type.</source>
        <translation>Un type d’événement personnalisé.</translation>
    </message>
    <message>
        <source>Send test</source>
        <translation>Envoyer un test</translation>
    </message>
    <message>
        <source>Sent %1 (deliveries: %2) — see the Live page (Ctrl+3).</source>
        <translation>%1 envoyé (livraisons : %2) — voir la page En direct (Ctrl+3).</translation>
    </message>
    <message>
        <source>Scenario</source>
        <translation>Scénario</translation>
    </message>
    <message>
        <source>Agent shift started: login, then logout.</source>
        <translation>Session d’agent lancée : connexion, puis déconnexion.</translation>
    </message>
    <message>
        <source>Call scenario started: created, ringing, answered, ended.</source>
        <translation>Scénario d’appel lancé : créé, sonnerie, décroché, terminé.</translation>
    </message>
    <message>
        <source>Unsaved template</source>
        <translation>Modèle non enregistré</translation>
    </message>
    <message>
        <source>The template of %1 has changes that are not saved. Save them?</source>
        <translation>Le modèle de %1 a des modifications non enregistrées. Les enregistrer ?</translation>
    </message>
</context>
<context>
    <name>FilterBoxes</name>
    <message>
        <source>All endpoints</source>
        <translation>Tous les points de terminaison</translation>
    </message>
    <message>
        <source>All events</source>
        <translation>Tous les événements</translation>
    </message>
</context>
<context>
    <name>HealthNotifier</name>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>“%1” was disabled: %2.</source>
        <translation>« %1 » a été désactivé : %2.</translation>
    </message>
    <message>
        <source>“%1”: %2 of its last %3 attempts failed (%4 %) in %5 minutes.</source>
        <translation>« %1 » : %2 de ses %3 dernières tentatives ont échoué (%4 %) en %5 minutes.</translation>
    </message>
    <message>
        <source>Hookline: an endpoint needs attention</source>
        <translation>Hookline : un point de terminaison demande votre attention</translation>
    </message>
</context>
<context>
    <name>HistoryModel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Événement</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Point de terminaison</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Tentatives</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>Delivery id</source>
        <translation>Id de livraison</translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <source>Filter by endpoint</source>
        <translation>Filtrer par point de terminaison</translation>
    </message>
    <message>
        <source>Filter by event</source>
        <translation>Filtrer par événement</translation>
    </message>
    <message>
        <source>Filter by state</source>
        <translation>Filtrer par état</translation>
    </message>
    <message>
        <source>Any state</source>
        <translation>Tout état</translation>
    </message>
    <message>
        <source>Filter by response code</source>
        <translation>Filtrer par code de réponse</translation>
    </message>
    <message>
        <source>Any code</source>
        <translation>Tout code</translation>
    </message>
    <message>
        <source>2xx</source>
        <translation>2xx</translation>
    </message>
    <message>
        <source>3xx</source>
        <translation>3xx</translation>
    </message>
    <message>
        <source>4xx</source>
        <translation>4xx</translation>
    </message>
    <message>
        <source>5xx</source>
        <translation>5xx</translation>
    </message>
    <message>
        <source>No answer (network)</source>
        <translation>Pas de réponse (réseau)</translation>
    </message>
    <message>
        <source>Time range</source>
        <translation>Période</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>Toute période</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Dernière heure</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Dernières 24 heures</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>&amp;Redeliver</source>
        <translation>&amp;Relivrer</translation>
    </message>
    <message>
        <source>Send the selected delivery again now (Ctrl+Shift+R)</source>
        <translation>Renvoyer maintenant la livraison sélectionnée (Ctrl+Maj+R)</translation>
    </message>
    <message>
        <source>Retry all &amp;failed</source>
        <translation>Relancer tous les é&amp;checs</translation>
    </message>
    <message>
        <source>Redeliver every failed delivery that matches the filters</source>
        <translation>Relivrer chaque livraison en échec qui correspond aux filtres</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>&amp;Exporter…</translation>
    </message>
    <message>
        <source>Save the filtered rows as CSV or JSON Lines (Ctrl+E)</source>
        <translation>Enregistrer les lignes filtrées en CSV ou JSON Lines (Ctrl+E)</translation>
    </message>
    <message>
        <source>Delivery history</source>
        <translation>Historique des livraisons</translation>
    </message>
    <message>
        <source>Attempt:</source>
        <translation>Tentative :</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>Tentative</translation>
    </message>
    <message>
        <source>Failed deliveries sent again: %1</source>
        <translation>Livraisons en échec renvoyées : %1</translation>
    </message>
    <message>
        <source>Showing the newest %1 matches; refine the search to see others.</source>
        <translation>Affichage des %1 correspondances les plus récentes ; affinez la recherche pour voir les autres.</translation>
    </message>
    <message>
        <source>Deliveries: %1</source>
        <translation>Livraisons : %1</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Recherche…</translation>
    </message>
    <message>
        <source>#%1 %2 · %3</source>
        <translation>n°%1 %2 · %3</translation>
    </message>
    <message>
        <source>Select a delivery to redeliver.</source>
        <translation>Sélectionnez une livraison à relivrer.</translation>
    </message>
    <message>
        <source>Redelivering %1…</source>
        <translation>Relivraison de %1…</translation>
    </message>
    <message>
        <source>Redeliver</source>
        <translation>Relivrer</translation>
    </message>
    <message>
        <source>Export deliveries</source>
        <translation>Exporter les livraisons</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON Lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exporter</translation>
    </message>
    <message>
        <source>An export is already running.</source>
        <translation>Un export est déjà en cours.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>Export cancelled.</source>
        <translation>Export annulé.</translation>
    </message>
    <message>
        <source>Exported deliveries: %1</source>
        <translation>Livraisons exportées : %1</translation>
    </message>
    <message>
        <source>Exporting to %1…</source>
        <translation>Export vers %1…</translation>
    </message>
    <message>
        <source>Retry all failed</source>
        <translation>Relancer tous les échecs</translation>
    </message>
    <message>
        <source>No failed deliveries are shown: the State filter is “%1”. Choose State: failed (or all) to retry them.</source>
        <translation>Aucune livraison en échec n’est affichée : le filtre d’état est « %1 ». Choisissez l’état « en échec » (ou tous) pour les relancer.</translation>
    </message>
    <message>
        <source>No failed deliveries match the filters.</source>
        <translation>Aucune livraison en échec ne correspond aux filtres.</translation>
    </message>
    <message numerus="yes">
        <source>Send %n failed delivery(s) that match the filters again? Each keeps its webhook-id, so receivers can tell a repeat.</source>
        <translation>
            <numerusform>Renvoyer %n livraison en échec qui correspond aux filtres ? Elle garde son webhook-id : les récepteurs reconnaissent une répétition.</numerusform>
            <numerusform>Renvoyer %n livraisons en échec qui correspondent aux filtres ? Chacune garde son webhook-id : les récepteurs reconnaissent une répétition.</numerusform>
        </translation>
    </message>
    <message>
        <source>Search payloads, responses, ids, endpoint names…</source>
        <translation>Rechercher charges utiles, réponses, identifiants, noms de points de terminaison…</translation>
    </message>
    <message>
        <source>Search payloads, responses, ids and endpoint names</source>
        <translation>Rechercher dans les charges utiles, les réponses, les identifiants et les noms de points de terminaison</translation>
    </message>
    <message>
        <source>Finds deliveries by text in their payload or a response, by webhook-id, delivery id (or its start) or event id, and by endpoint name</source>
        <translation>Trouve les livraisons par un texte de leur charge utile ou d’une réponse, par webhook-id, identifiant de livraison (ou son début) ou identifiant d’événement, et par nom de point de terminaison</translation>
    </message>
    <message>
        <source>Position in the history</source>
        <translation>Position dans l’historique</translation>
    </message>
</context>
<context>
    <name>LiveModel</name>
    <message>
        <source>sending…</source>
        <translation>envoi…</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Événement</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Point de terminaison</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>Tentative</translation>
    </message>
    <message>
        <source>held behind %1</source>
        <translation>en attente derrière %1</translation>
    </message>
    <message>
        <source>Waits for delivery %1 (same order key, %2) to succeed or give up.</source>
        <translation>Attend que la livraison %1 (même clé d’ordre, %2) réussisse ou abandonne.</translation>
    </message>
</context>
<context>
    <name>LivePage</name>
    <message>
        <source>Filter by endpoint</source>
        <translation>Filtrer par point de terminaison</translation>
    </message>
    <message>
        <source>Filter by event</source>
        <translation>Filtrer par événement</translation>
    </message>
    <message>
        <source>Filter by status</source>
        <translation>Filtrer par statut</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>Tous les statuts</translation>
    </message>
    <message>
        <source>2xx success</source>
        <translation>2xx réussite</translation>
    </message>
    <message>
        <source>Any failure</source>
        <translation>Tout échec</translation>
    </message>
    <message>
        <source>3xx</source>
        <translation>3xx</translation>
    </message>
    <message>
        <source>4xx</source>
        <translation>4xx</translation>
    </message>
    <message>
        <source>5xx</source>
        <translation>5xx</translation>
    </message>
    <message>
        <source>Network errors</source>
        <translation>Erreurs réseau</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>En cours</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>&amp;Pause</translation>
    </message>
    <message>
        <source>Freeze the list (Ctrl+P); deliveries keep going</source>
        <translation>Figer la liste (Ctrl+P) ; les livraisons continuent</translation>
    </message>
    <message>
        <source>C&amp;lear</source>
        <translation>&amp;Effacer</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>Afficher :</translation>
    </message>
    <message>
        <source>Live deliveries</source>
        <translation>Livraisons en direct</translation>
    </message>
    <message>
        <source>Deliveries appear here as they happen. Send a test event from the Endpoints page (Ctrl+1, then Ctrl+T) or run a call scenario from the Events page.</source>
        <translation>Les livraisons apparaissent ici au fil de l’eau. Envoyez un événement de test depuis la page Points de terminaison (Ctrl+1, puis Ctrl+T) ou lancez un scénario d’appel depuis la page Événements.</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>&amp;Reprendre</translation>
    </message>
    <message>
        <source>Attempts shown: %1</source>
        <translation>Tentatives affichées : %1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>Pages</translation>
    </message>
    <message>
        <source>Endpoints</source>
        <translation>Points de terminaison</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>Événements</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>En direct</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historique</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>Récepteur</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;ide</translation>
    </message>
    <message>
        <source>&amp;About Hookline</source>
        <translation>À &amp;propos de Hookline</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>À propos de &amp;Qt</translation>
    </message>
    <message>
        <source>Hookline %1 ready. Data: %2</source>
        <translation>Hookline %1 prêt. Données : %2</translation>
    </message>
    <message>
        <source>Receiver on :%1</source>
        <translation>Récepteur sur :%1</translation>
    </message>
    <message>
        <source>Receiver off</source>
        <translation>Récepteur arrêté</translation>
    </message>
    <message>
        <source>The database can be written again; delivery has resumed.</source>
        <translation>La base de données peut de nouveau être écrite ; les livraisons ont repris.</translation>
    </message>
    <message>
        <source>Database problem</source>
        <translation>Problème de base de données</translation>
    </message>
    <message>
        <source>Database cannot be written: deliveries paused</source>
        <translation>Base de données non inscriptible : livraisons suspendues</translation>
    </message>
    <message>
        <source>Hookline cannot write its database %1 (%2). Deliveries are paused and nothing new is accepted until it can; nothing already accepted is lost, and delivery resumes by itself. %3</source>
        <translation>Hookline ne peut pas écrire sa base de données %1 (%2). Les livraisons sont suspendues et rien de nouveau n’est accepté tant qu’elle ne le peut pas ; rien de ce qui a déjà été accepté n’est perdu, et les livraisons reprennent d’elles-mêmes. %3</translation>
    </message>
    <message>
        <source>API on %1</source>
        <translation>API sur %1</translation>
    </message>
    <message>
        <source>Attempts this window has made since it started; other Hookline processes on the same data are not counted here.</source>
        <translation>Tentatives faites par cette fenêtre depuis son lancement ; celles des autres processus Hookline sur les mêmes données ne sont pas comptées ici.</translation>
    </message>
    <message>
        <source>This window&apos;s attempts: %1 in flight · %2 queued · %3 succeeded · %4 failed · %5 retrying</source>
        <translation>Tentatives de cette fenêtre : %1 en cours · %2 en file · %3 réussies · %4 échouées · %5 en relance</translation>
    </message>
    <message>
        <source>Reconnecting to the database %1… (%2) What is on screen is kept; deliveries wait and resume by themselves once it answers.</source>
        <translation>Reconnexion à la base de données %1… (%2) Ce qui est affiché est conservé ; les livraisons attendent et reprennent d’elles-mêmes dès qu’elle répond.</translation>
    </message>
    <message>
        <source>Reconnecting to the database…</source>
        <translation>Reconnexion à la base de données…</translation>
    </message>
</context>
<context>
    <name>PayloadEncoder</name>
    <message>
        <source>The payload is not valid JSON (%1 at byte %2), so it cannot be converted to XML.</source>
        <translation>Le contenu n’est pas du JSON valide (%1 à l’octet %2) ; il ne peut pas être converti en XML.</translation>
    </message>
    <message>
        <source>The payload is not a JSON object or array, so it cannot be converted to XML.</source>
        <translation>Le contenu n’est ni un objet ni un tableau JSON ; il ne peut pas être converti en XML.</translation>
    </message>
</context>
<context>
    <name>PgConnection</name>
    <message>
        <source>Nothing answers at %1 (connection refused): is PostgreSQL running there, and is the port right?</source>
        <translation>Rien ne répond à %1 (connexion refusée) : PostgreSQL y tourne-t-il, et le port est-il le bon ?</translation>
    </message>
    <message>
        <source>The PostgreSQL server at %1 did not answer within %2 s. Check the host and the network, or give it longer with ?connect_timeout=SECONDS.</source>
        <translation>Le serveur PostgreSQL à %1 n’a pas répondu en %2 s. Vérifiez l’hôte et le réseau, ou laissez-lui plus de temps avec ?connect_timeout=SECONDES.</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 refused the password of user “%2”. Check the password in the URL, in PGPASSWORD or in ~/.pgpass.</source>
        <translation>PostgreSQL à %1 a refusé le mot de passe de l’utilisateur « %2 ». Vérifiez le mot de passe dans l’URL, dans PGPASSWORD ou dans ~/.pgpass.</translation>
    </message>
    <message>
        <source>There is no database “%1” at %2. Create it (createdb -O %3 %1) or fix the URL.</source>
        <translation>Il n’y a pas de base « %1 » à %2. Créez-la (createdb -O %3 %1) ou corrigez l’URL.</translation>
    </message>
    <message>
        <source>The host name %1 could not be resolved. Check its spelling, or use an address.</source>
        <translation>Le nom d’hôte %1 n’a pas pu être résolu. Vérifiez son orthographe, ou utilisez une adresse.</translation>
    </message>
    <message>
        <source>Cannot connect to PostgreSQL at %1: %2</source>
        <translation>Connexion à PostgreSQL à %1 impossible : %2</translation>
    </message>
    <message>
        <source>Qt&apos;s PostgreSQL driver is not installed: install libqt6sql6-psql.</source>
        <translation>Le pilote PostgreSQL de Qt n’est pas installé : installez libqt6sql6-psql.</translation>
    </message>
</context>
<context>
    <name>Placeholders</name>
    <message>
        <source>A fresh random UUID on every use</source>
        <translation>Un UUID aléatoire nouveau à chaque utilisation</translation>
    </message>
    <message>
        <source>The platform node&apos;s UUID (the same for a whole call)</source>
        <translation>L’UUID du nœud de la plateforme (le même pour tout un appel)</translation>
    </message>
    <message>
        <source>This event&apos;s time, ISO 8601 UTC with milliseconds</source>
        <translation>L’heure de cet événement, ISO 8601 UTC avec millisecondes</translation>
    </message>
    <message>
        <source>This event&apos;s time as a string of microseconds since 1970 (16 digits)</source>
        <translation>L’heure de cet événement en microsecondes depuis 1970, sous forme de texte (16 chiffres)</translation>
    </message>
    <message>
        <source>The call&apos;s UUID, shared by created, ringing, answered and ended</source>
        <translation>L’UUID de l’appel, commun à créé, sonnerie, décroché et terminé</translation>
    </message>
    <message>
        <source>The UUID of the call&apos;s other leg</source>
        <translation>L’UUID de l’autre branche de l’appel</translation>
    </message>
    <message>
        <source>inbound or outbound</source>
        <translation>inbound ou outbound</translation>
    </message>
    <message>
        <source>When the call started (ISO 8601)</source>
        <translation>Début de l’appel (ISO 8601)</translation>
    </message>
    <message>
        <source>When the call started (epoch microseconds)</source>
        <translation>Début de l’appel (microsecondes epoch)</translation>
    </message>
    <message>
        <source>When the call started ringing (ISO 8601)</source>
        <translation>Début de la sonnerie (ISO 8601)</translation>
    </message>
    <message>
        <source>When the call was answered (ISO 8601)</source>
        <translation>Décroché de l’appel (ISO 8601)</translation>
    </message>
    <message>
        <source>When the call was hung up (ISO 8601)</source>
        <translation>Fin de l’appel (ISO 8601)</translation>
    </message>
    <message>
        <source>Seconds of ringing (number)</source>
        <translation>Secondes de sonnerie (nombre)</translation>
    </message>
    <message>
        <source>Seconds of conversation (number)</source>
        <translation>Secondes de conversation (nombre)</translation>
    </message>
    <message>
        <source>Total call duration in seconds (number)</source>
        <translation>Durée totale de l’appel en secondes (nombre)</translation>
    </message>
    <message>
        <source>answered, no-answer or cancel</source>
        <translation>answered, no-answer ou cancel</translation>
    </message>
    <message>
        <source>The agent&apos;s wrap-up code</source>
        <translation>Le code de qualification de l’agent</translation>
    </message>
    <message>
        <source>Why the call ended, e.g. NORMAL_CLEARING</source>
        <translation>Pourquoi l’appel s’est terminé, p. ex. NORMAL_CLEARING</translation>
    </message>
    <message>
        <source>Why the call was missed, or null</source>
        <translation>Pourquoi l’appel a été manqué, ou null</translation>
    </message>
    <message>
        <source>The recording&apos;s file name, &lt;callID&gt;.mp3</source>
        <translation>Le nom du fichier d’enregistrement, &lt;callID&gt;.mp3</translation>
    </message>
    <message>
        <source>The caller&apos;s display name</source>
        <translation>Le nom affiché de l’appelant</translation>
    </message>
    <message>
        <source>The caller&apos;s phone number</source>
        <translation>Le numéro de l’appelant</translation>
    </message>
    <message>
        <source>The callee&apos;s display name (agent extension)</source>
        <translation>Le nom affiché de l’appelé (poste de l’agent)</translation>
    </message>
    <message>
        <source>The callee&apos;s number (agent extension)</source>
        <translation>Le numéro de l’appelé (poste de l’agent)</translation>
    </message>
    <message>
        <source>The public number that was dialled</source>
        <translation>Le numéro public composé</translation>
    </message>
    <message>
        <source>The customer&apos;s name</source>
        <translation>Le nom du client</translation>
    </message>
    <message>
        <source>The customer&apos;s phone number</source>
        <translation>Le numéro de téléphone du client</translation>
    </message>
    <message>
        <source>The customer&apos;s e-mail address</source>
        <translation>L’adresse e-mail du client</translation>
    </message>
    <message>
        <source>The agent&apos;s numeric id (number)</source>
        <translation>L’identifiant numérique de l’agent (nombre)</translation>
    </message>
    <message>
        <source>The agent&apos;s full name</source>
        <translation>Le nom complet de l’agent</translation>
    </message>
    <message>
        <source>The agent&apos;s e-mail address</source>
        <translation>L’adresse e-mail de l’agent</translation>
    </message>
    <message>
        <source>The agent&apos;s extension</source>
        <translation>Le poste de l’agent</translation>
    </message>
    <message>
        <source>When the agent logged in (ISO 8601)</source>
        <translation>Connexion de l’agent (ISO 8601)</translation>
    </message>
    <message>
        <source>When the agent logged out (ISO 8601)</source>
        <translation>Déconnexion de l’agent (ISO 8601)</translation>
    </message>
    <message>
        <source>Seconds between login and logout (number)</source>
        <translation>Secondes entre connexion et déconnexion (nombre)</translation>
    </message>
    <message>
        <source>Calls the agent handled in the shift (number)</source>
        <translation>Appels traités par l’agent pendant la session (nombre)</translation>
    </message>
    <message>
        <source>Seconds the agent spent talking (number)</source>
        <translation>Secondes passées en conversation (nombre)</translation>
    </message>
    <message>
        <source>Seconds the agent spent on breaks (number)</source>
        <translation>Secondes passées en pause (nombre)</translation>
    </message>
</context>
<context>
    <name>QGuiApplication</name>
    <message>
        <source>QT_LAYOUT_DIRECTION</source>
        <translation>LTR</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>Hookline cannot start</source>
        <translation>Hookline ne peut pas démarrer</translation>
    </message>
</context>
<context>
    <name>ReceiverPage</name>
    <message>
        <source>any free port</source>
        <translation>tout port libre</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port :</translation>
    </message>
    <message>
        <source>Inboxes</source>
        <translation>Boîtes de réception</translation>
    </message>
    <message>
        <source>New &amp;inbox…</source>
        <translation>Nouvelle &amp;boîte…</translation>
    </message>
    <message>
        <source>How this inbox answers</source>
        <translation>Comment cette boîte répond</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>&amp;Status</source>
        <translation>&amp;Statut</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>&amp;Delay</source>
        <translation>&amp;Délai</translation>
    </message>
    <message>
        <source> % answer 503</source>
        <translation> % répondent 503</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucun</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>Retry-&amp;After</source>
        <translation>Retr&amp;y-After</translation>
    </message>
    <message>
        <source>off</source>
        <translation>non</translation>
    </message>
    <message>
        <source> ms per byte</source>
        <translation> ms par octet</translation>
    </message>
    <message>
        <source>Close the connection without answering</source>
        <translation>Fermer la connexion sans répondre</translation>
    </message>
    <message>
        <source>D&amp;rop</source>
        <translation>C&amp;ouper</translation>
    </message>
    <message>
        <source>e.g. 503, 503, 200 (0 drops)</source>
        <translation>p. ex. 503, 503, 200 (0 coupe)</translation>
    </message>
    <message>
        <source>S&amp;cript</source>
        <translation>Sc&amp;ript</translation>
    </message>
    <message>
        <source>whsec_… to check signatures</source>
        <translation>whsec_… pour vérifier les signatures</translation>
    </message>
    <message>
        <source>S&amp;ecret</source>
        <translation>S&amp;ecret</translation>
    </message>
    <message>
        <source>A&amp;pply</source>
        <translation>A&amp;ppliquer</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Inbox</source>
        <translation>Boîte</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Requête</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Taille</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>Réponse</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>Signature</translation>
    </message>
    <message>
        <source>Received requests</source>
        <translation>Requêtes reçues</translation>
    </message>
    <message>
        <source>Request details</source>
        <translation>Détails de la requête</translation>
    </message>
    <message>
        <source>Select a request to see its headers and body.</source>
        <translation>Sélectionnez une requête pour voir ses en-têtes et son corps.</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>Récepteur</translation>
    </message>
    <message>
        <source>New inbox</source>
        <translation>Nouvelle boîte</translation>
    </message>
    <message>
        <source>Name (letters, digits, - and _):</source>
        <translation>Nom (lettres, chiffres, - et _) :</translation>
    </message>
    <message>
        <source>Listening on 127.0.0.1:%1%2</source>
        <translation>À l’écoute sur 127.0.0.1:%1%2</translation>
    </message>
    <message>
        <source> and [::1]</source>
        <translation> et [::1]</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>Arrê&amp;ter</translation>
    </message>
    <message>
        <source>Stopped. Start it to receive test deliveries on this machine.</source>
        <translation>Arrêté. Démarrez-le pour recevoir des livraisons de test sur cette machine.</translation>
    </message>
    <message>
        <source>S&amp;tart</source>
        <translation>Dé&amp;marrer</translation>
    </message>
    <message>
        <source>(start the receiver)</source>
        <translation>(démarrez le récepteur)</translation>
    </message>
    <message>
        <source>“%1” in the script is not a status code.</source>
        <translation>« %1 » dans le script n’est pas un code de statut.</translation>
    </message>
    <message>
        <source>Inbox “%1” updated.</source>
        <translation>Boîte « %1 » mise à jour.</translation>
    </message>
    <message>
        <source>dropped</source>
        <translation>coupée</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(aucune)</translation>
    </message>
    <message>
        <source>%1 B</source>
        <translation>%1 o</translation>
    </message>
    <message>
        <source>from %1:%2 at %3
</source>
        <translation>de %1:%2 à %3
</translation>
    </message>
    <message>
        <source>signature: %1 — %2
</source>
        <translation>signature : %1 — %2
</translation>
    </message>
    <message>
        <source>fault played: %1
</source>
        <translation>défaillance jouée : %1
</translation>
    </message>
    <message>
        <source>(%1 of %2 bytes kept)</source>
        <translation>(%1 octets gardés sur %2)</translation>
    </message>
    <message>
        <source>Fai&amp;lures</source>
        <translation>É&amp;checs</translation>
    </message>
    <message>
        <source>Slo&amp;w drip</source>
        <translation>Goutte-à-goutte &amp;lent</translation>
    </message>
    <message>
        <source>What this inbox answers with, whatever the status: {&quot;ok&quot;: false}, an error your integration should handle, an empty body…</source>
        <translation>Ce que cette boîte répond, quel que soit le statut : {&quot;ok&quot;: false}, une erreur que votre intégration doit gérer, un corps vide…</translation>
    </message>
    <message>
        <source>Answer &amp;body</source>
        <translation>Corps de la répo&amp;nse</translation>
    </message>
    <message>
        <source>Content t&amp;ype</source>
        <translation>Type de conten&amp;u</translation>
    </message>
    <message>
        <source>Show inbo&amp;x:</source>
        <translation>Afficher la boîte (&amp;x) :</translation>
    </message>
    <message>
        <source>All inboxes</source>
        <translation>Toutes les boîtes</translation>
    </message>
</context>
<context>
    <name>ReceiverServer</name>
    <message>
        <source>The inbox name “%1” is not valid: use 1 to 64 letters, digits, &apos;-&apos; or &apos;_&apos; (it becomes part of the URL).</source>
        <translation>Le nom de boîte « %1 » n’est pas valide : utilisez de 1 à 64 lettres, chiffres, « - » ou « _ » (il fait partie de l’URL).</translation>
    </message>
    <message>
        <source>The response status %1 is out of range; use 200 to 599.</source>
        <translation>Le statut de réponse %1 est hors limites ; utilisez 200 à 599.</translation>
    </message>
    <message>
        <source>The failure status %1 is out of range; use 200 to 599.</source>
        <translation>Le statut d’échec %1 est hors limites ; utilisez 200 à 599.</translation>
    </message>
    <message>
        <source>The failure rate %1 is out of range; use 0 (never) to 1 (always).</source>
        <translation>Le taux d’échec %1 est hors limites ; utilisez 0 (jamais) à 1 (toujours).</translation>
    </message>
    <message>
        <source>The delay %1 ms is out of range; use 0 to 600000 ms.</source>
        <translation>Le délai de %1 ms est hors limites ; utilisez 0 à 600000 ms.</translation>
    </message>
    <message>
        <source>The drip interval %1 ms is out of range; use 0 to 60000 ms.</source>
        <translation>L’intervalle de goutte-à-goutte de %1 ms est hors limites ; utilisez 0 à 60000 ms.</translation>
    </message>
    <message>
        <source>Retry-After must be 0 (none) or a number of seconds.</source>
        <translation>Retry-After doit valoir 0 (aucun) ou un nombre de secondes.</translation>
    </message>
    <message>
        <source>The inbox keeps 1 to 100000 requests; %1 is out of range.</source>
        <translation>La boîte garde de 1 à 100000 requêtes ; %1 est hors limites.</translation>
    </message>
    <message>
        <source>The scripted status %1 is out of range; use 200 to 599, or 0 to drop the connection.</source>
        <translation>Le statut scripté %1 est hors limites ; utilisez 200 à 599, ou 0 pour couper la connexion.</translation>
    </message>
    <message>
        <source>The response header “%1” is not a valid header line.</source>
        <translation>L’en-tête de réponse « %1 » n’est pas une ligne d’en-tête valide.</translation>
    </message>
    <message>
        <source>The receiver cannot listen on 127.0.0.1:%1: %2. Choose another port, or 0 for a free one.</source>
        <translation>Le récepteur ne peut pas écouter sur 127.0.0.1:%1 : %2. Choisissez un autre port, ou 0 pour un port libre.</translation>
    </message>
    <message>
        <source>Refused a connection: %1 are open, the limit is %2.</source>
        <translation>Connexion refusée : %1 sont ouvertes, la limite est %2.</translation>
    </message>
    <message>
        <source>No inbox at %1. Inboxes: %2 (POST to /inbox/&lt;name&gt;).
</source>
        <translation>Aucune boîte à %1. Boîtes : %2 (POST vers /inbox/&lt;nom&gt;).
</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>no such inbox</source>
        <translation>boîte inconnue</translation>
    </message>
    <message>
        <source>script step %1: dropped the connection</source>
        <translation>étape %1 du script : connexion coupée</translation>
    </message>
    <message>
        <source>script step %1</source>
        <translation>étape %1 du script</translation>
    </message>
    <message>
        <source>dropped the connection without an answer</source>
        <translation>connexion coupée sans réponse</translation>
    </message>
    <message>
        <source>simulated failure (rate %1)</source>
        <translation>échec simulé (taux %1)</translation>
    </message>
    <message>
        <source>The content type “%1” is not a media type such as application/json or text/plain; charset=utf-8.</source>
        <translation>Le type de contenu « %1 » n’est pas un type de média comme application/json ou text/plain; charset=utf-8.</translation>
    </message>
    <message>
        <source>The answer body is %1 bytes; an inbox answers at most %2.</source>
        <translation>Le corps de la réponse fait %1 octets ; une boîte répond au plus %2.</translation>
    </message>
</context>
<context>
    <name>RetryPlanner</name>
    <message>
        <source>410 Gone: the receiver asked not to be called again.</source>
        <translation>410 Gone : le destinataire a demandé à ne plus être appelé.</translation>
    </message>
    <message numerus="yes">
        <source>All %n attempt(s) used.</source>
        <translation>
            <numerusform>L’unique tentative a été utilisée.</numerusform>
            <numerusform>Les %n tentatives ont été utilisées.</numerusform>
        </translation>
    </message>
    <message>
        <source>Retry-After: %1 s</source>
        <translation>Retry-After : %1 s</translation>
    </message>
    <message>
        <source>schedule step %1</source>
        <translation>étape %1 du calendrier</translation>
    </message>
</context>
<context>
    <name>SecretBox</name>
    <message>
        <source>Cannot read the key file %1 (%2). Check its permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>Impossible de lire le fichier de clé %1 (%2). Vérifiez ses droits, ou définissez HOOKLINE_SECRET_KEY.</translation>
    </message>
    <message>
        <source>The key file %1 does not hold a key (base64 of 32 bytes). Restore it from a backup; if it is lost, move it away and re-enter the endpoints&apos; secrets.</source>
        <translation>Le fichier de clé %1 ne contient pas de clé (32 octets en base64). Restaurez-le depuis une sauvegarde ; s’il est perdu, déplacez-le et saisissez à nouveau les secrets des points de terminaison.</translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the key file. Check its permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>Impossible de créer le dossier %1 du fichier de clé. Vérifiez ses droits, ou définissez HOOKLINE_SECRET_KEY.</translation>
    </message>
    <message>
        <source>The system&apos;s random number generator failed; no key was created.</source>
        <translation>Le générateur de nombres aléatoires du système a échoué ; aucune clé n’a été créée.</translation>
    </message>
    <message>
        <source>Cannot create the key file %1. Check the folder&apos;s permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>Impossible de créer le fichier de clé %1. Vérifiez les droits du dossier, ou définissez HOOKLINE_SECRET_KEY.</translation>
    </message>
    <message>
        <source>Cannot write the key file %1. Check free space and the folder&apos;s permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>Impossible d’écrire le fichier de clé %1. Vérifiez l’espace libre et les droits du dossier, ou définissez HOOKLINE_SECRET_KEY.</translation>
    </message>
    <message>
        <source>HOOKLINE_SECRET_KEY must be base64 of 32 bytes (for example the output of &apos;openssl rand -base64 32&apos;).</source>
        <translation>HOOKLINE_SECRET_KEY doit contenir 32 octets en base64 (par exemple la sortie de « openssl rand -base64 32 »).</translation>
    </message>
    <message>
        <source>The secret key must be 32 bytes.</source>
        <translation>La clé secrète doit faire 32 octets.</translation>
    </message>
    <message>
        <source>It was sealed with another key (%1; this machine&apos;s is %2). Restore the key file %3 (or HOOKLINE_SECRET_KEY) it was sealed with, or enter the secret again.</source>
        <translation>Il a été scellé avec une autre clé (%1 ; celle de cette machine est %2). Restaurez le fichier de clé %3 (ou HOOKLINE_SECRET_KEY) qui l’a scellé, ou saisissez à nouveau le secret.</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>The sealed value is damaged. Enter the secret again.</source>
        <translation>La valeur scellée est endommagée. Saisissez à nouveau le secret.</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Data</source>
        <translation>Données</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Base de données</translation>
    </message>
    <message>
        <source>forever</source>
        <translation>toujours</translation>
    </message>
    <message>
        <source> days</source>
        <translation> jours</translation>
    </message>
    <message>
        <source>Keep &amp;history for</source>
        <translation>Conserver l’&amp;historique</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>sans limite</translation>
    </message>
    <message>
        <source> deliveries at most</source>
        <translation> livraisons au plus</translation>
    </message>
    <message>
        <source>and</source>
        <translation>et</translation>
    </message>
    <message>
        <source>Apply retention &amp;now</source>
        <translation>Appliquer la rétention &amp;maintenant</translation>
    </message>
    <message>
        <source>Delete finished deliveries beyond these limits (pending and retrying work is kept)</source>
        <translation>Supprimer les livraisons terminées au-delà de ces limites (le travail en attente ou en relance est conservé)</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>Livraison</translation>
    </message>
    <message>
        <source>Requests in flight in &amp;total</source>
        <translation>Requêtes simultanées au &amp;total</translation>
    </message>
    <message>
        <source>Seconds before each retry, for endpoints created from now on</source>
        <translation>Secondes avant chaque relance, pour les points de terminaison créés à partir de maintenant</translation>
    </message>
    <message>
        <source>Default retry &amp;delays (s)</source>
        <translation>&amp;Délais de relance par défaut (s)</translation>
    </message>
    <message>
        <source>Interface</source>
        <translation>Interface</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Langue du système</translation>
    </message>
    <message>
        <source>&amp;Language (after a restart)</source>
        <translation>&amp;Langue (après redémarrage)</translation>
    </message>
    <message>
        <source>Old deliveries removed: %1</source>
        <translation>Anciennes livraisons supprimées : %1</translation>
    </message>
    <message>
        <source>Write the delays as seconds separated by commas, e.g. 5, 300, 1800.</source>
        <translation>Écrivez les délais en secondes séparées par des virgules, p. ex. 5, 300, 1800.</translation>
    </message>
    <message>
        <source>Change the language</source>
        <translation>Changer de langue</translation>
    </message>
    <message>
        <source>Hookline changes its language when it starts. Restart it now? Deliveries in progress are finished first or resumed.</source>
        <translation>Hookline change de langue au démarrage. Le redémarrer maintenant ? Les livraisons en cours sont d’abord terminées ou reprises ensuite.</translation>
    </message>
    <message>
        <source>&amp;Restart now</source>
        <translation>&amp;Redémarrer maintenant</translation>
    </message>
    <message>
        <source>&amp;Later</source>
        <translation>Plus &amp;tard</translation>
    </message>
    <message>
        <source>API</source>
        <translation>API</translation>
    </message>
    <message>
        <source>&amp;Serve the API to scripts and other systems</source>
        <translation>&amp;Servir l’API aux scripts et aux autres systèmes</translation>
    </message>
    <message>
        <source>A loopback address and port, such as 127.0.0.1:8470. To serve other machines, use &apos;hookline serve&apos; with TLS.</source>
        <translation>Une adresse de bouclage et un port, par exemple 127.0.0.1:8470. Pour servir d’autres machines, utilisez « hookline serve » avec TLS.</translation>
    </message>
    <message>
        <source>&amp;Address</source>
        <translation>&amp;Adresse</translation>
    </message>
    <message>
        <source>API tokens</source>
        <translation>Jetons d’API</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Access</source>
        <translation>Accès</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créé</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>Dernière utilisation</translation>
    </message>
    <message>
        <source>&amp;Tokens</source>
        <translation>&amp;Jetons</translation>
    </message>
    <message>
        <source>&amp;New token…</source>
        <translation>&amp;Nouveau jeton…</translation>
    </message>
    <message>
        <source>&amp;Read-only</source>
        <translation>&amp;Lecture seule</translation>
    </message>
    <message>
        <source>A read-only token may read, not change or publish</source>
        <translation>Un jeton en lecture seule peut lire, mais ni modifier ni publier</translation>
    </message>
    <message>
        <source>Re&amp;voke</source>
        <translation>Ré&amp;voquer</translation>
    </message>
    <message>
        <source>The API address “%1” is not a loopback address and port such as 127.0.0.1:8470.</source>
        <translation>L’adresse d’API « %1 » n’est pas une adresse de bouclage avec un port, comme 127.0.0.1:8470.</translation>
    </message>
    <message>
        <source>API on %1</source>
        <translation>API sur %1</translation>
    </message>
    <message>
        <source>API off</source>
        <translation>API arrêtée</translation>
    </message>
    <message>
        <source>Listening on %1 — requests need a token from below.</source>
        <translation>À l’écoute sur %1 — les requêtes ont besoin d’un jeton ci-dessous.</translation>
    </message>
    <message>
        <source>Off.</source>
        <translation>Arrêtée.</translation>
    </message>
    <message>
        <source>read-only</source>
        <translation>lecture seule</translation>
    </message>
    <message>
        <source>read-write</source>
        <translation>lecture et écriture</translation>
    </message>
    <message>
        <source>never</source>
        <translation>jamais</translation>
    </message>
    <message>
        <source>Created token “%1”.</source>
        <translation>Jeton « %1 » créé.</translation>
    </message>
    <message>
        <source>New API token</source>
        <translation>Nouveau jeton d’API</translation>
    </message>
    <message>
        <source>Who or what will use it (for example “CRM deploy”):</source>
        <translation>Qui ou quoi l’utilisera (par exemple « déploiement CRM ») :</translation>
    </message>
    <message>
        <source>Copy this token now; Hookline keeps only a hash of it and cannot show it again.

%1

Send it as: Authorization: Bearer &lt;token&gt;</source>
        <translation>Copiez ce jeton maintenant : Hookline n’en garde qu’une empreinte et ne pourra plus l’afficher.

%1

Envoyez-le ainsi : Authorization: Bearer &lt;jeton&gt;</translation>
    </message>
    <message>
        <source>Revoke token</source>
        <translation>Révoquer le jeton</translation>
    </message>
    <message>
        <source>Revoke “%1”? Requests with it will be refused at once.</source>
        <translation>Révoquer « %1 » ? Les requêtes qui l’utilisent seront refusées aussitôt.</translation>
    </message>
    <message>
        <source>Security (for every process on this database)</source>
        <translation>Sécurité (pour chaque processus sur cette base)</translation>
    </message>
    <message>
        <source>Any address</source>
        <translation>Toute adresse</translation>
    </message>
    <message>
        <source>Not link-local or cloud metadata (recommended)</source>
        <translation>Ni lien local ni métadonnées cloud (recommandé)</translation>
    </message>
    <message>
        <source>Public addresses only</source>
        <translation>Adresses publiques uniquement</translation>
    </message>
    <message>
        <source>Which addresses deliveries may connect to. Checked on the address each attempt connects to, so a host name cannot be turned into a private address later.</source>
        <translation>Les adresses auxquelles les livraisons peuvent se connecter. Vérifié sur l’adresse utilisée par chaque tentative : un nom d’hôte ne peut pas devenir une adresse privée plus tard.</translation>
    </message>
    <message>
        <source>Deliveries may &amp;reach</source>
        <translation>Les livraisons peuvent &amp;joindre</translation>
    </message>
    <message>
        <source>But always &amp;allow</source>
        <translation>Mais toujours &amp;autoriser</translation>
    </message>
    <message>
        <source> KiB</source>
        <translation> Kio</translation>
    </message>
    <message>
        <source>Largest &amp;payload</source>
        <translation>&amp;Contenu le plus gros</translation>
    </message>
    <message>
        <source>Signing secrets and custom header values are stored encrypted with this key. Back it up with the database; without it they must be entered again.</source>
        <translation>Les secrets de signature et les valeurs des en-têtes personnalisés sont chiffrés avec cette clé. Sauvegardez-la avec la base ; sans elle, il faudra les saisir à nouveau.</translation>
    </message>
    <message>
        <source>Secrets are sealed with</source>
        <translation>Secrets scellés avec</translation>
    </message>
    <message>
        <source>“%1” is neither a host name nor an address or range such as 10.0.0.0/8. Correct it; the policy was not changed.</source>
        <translation>« %1 » n’est ni un nom d’hôte ni une adresse ou une plage comme 10.0.0.0/8. Corrigez-le ; la politique n’a pas été modifiée.</translation>
    </message>
    <message>
        <source>The policy could not be saved: %1</source>
        <translation>La politique n’a pas pu être enregistrée : %1</translation>
    </message>
    <message>
        <source>The payload limit could not be saved: %1</source>
        <translation>La limite de contenu n’a pas pu être enregistrée : %1</translation>
    </message>
    <message>
        <source>e.g. crm.internal 10.0.0.0/8</source>
        <translation>p. ex. crm.internal 10.0.0.0/8</translation>
    </message>
    <message>
        <source>Deliveries under way at once over all endpoints, in each Hookline process that delivers. Each endpoint has its own limit too.</source>
        <translation>Livraisons en cours en même temps sur tous les points de terminaison, dans chaque processus Hookline qui livre. Chaque point de terminaison a aussi sa propre limite.</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>A desktop notification when this share of an endpoint&apos;s attempts failed over the last 5 minutes (at least 10 attempts). Disabled endpoints are always reported.</source>
        <translation>Une notification de bureau quand cette part des tentatives d’un point de terminaison a échoué au cours des 5 dernières minutes (au moins 10 tentatives). Les points de terminaison désactivés sont toujours signalés.</translation>
    </message>
    <message>
        <source>Notify &amp;when failures reach</source>
        <translation>Avertir &amp;quand les échecs atteignent</translation>
    </message>
    <message>
        <source>&amp;Change…</source>
        <translation>&amp;Changer…</translation>
    </message>
    <message>
        <source>Use another store: a SQLite file, or a PostgreSQL database shared with other Hookline windows and workers</source>
        <translation>Utiliser un autre stockage : un fichier SQLite, ou une base PostgreSQL partagée avec d’autres fenêtres et processus Hookline</translation>
    </message>
    <message>
        <source>Change the database</source>
        <translation>Changer de base de données</translation>
    </message>
    <message>
        <source>A SQLite file (sqlite:/path/to/hookline.sqlite) or a PostgreSQL database (postgresql://user:password@host:5432/dbname). Empty: the file in your data directory.</source>
        <translation>Un fichier SQLite (sqlite:/chemin/vers/hookline.sqlite) ou une base PostgreSQL (postgresql://utilisateur:motdepasse@hôte:5432/base). Vide : le fichier de votre dossier de données.</translation>
    </message>
    <message>
        <source>Hookline opens the new database when it starts. Restart it now? Deliveries in progress are finished first or resumed.</source>
        <translation>Hookline ouvre la nouvelle base de données au démarrage. Le redémarrer maintenant ? Les livraisons en cours sont d’abord terminées ou reprises.</translation>
    </message>
</context>
<context>
    <name>StatusStyle</name>
    <message>
        <source>pending</source>
        <translation>en attente</translation>
    </message>
    <message>
        <source>in flight</source>
        <translation>en cours</translation>
    </message>
    <message>
        <source>succeeded</source>
        <translation>réussie</translation>
    </message>
    <message>
        <source>retrying</source>
        <translation>en relance</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échouée</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulée</translation>
    </message>
    <message>
        <source>dns</source>
        <comment>error class: host not found</comment>
        <translation>dns</translation>
    </message>
    <message>
        <source>refused</source>
        <comment>error class: connection refused</comment>
        <translation>refusée</translation>
    </message>
    <message>
        <source>timeout</source>
        <comment>error class</comment>
        <translation>délai dépassé</translation>
    </message>
    <message>
        <source>tls</source>
        <comment>error class: TLS handshake</comment>
        <translation>tls</translation>
    </message>
    <message>
        <source>http-3xx</source>
        <comment>error class</comment>
        <translation>http-3xx</translation>
    </message>
    <message>
        <source>http-4xx</source>
        <comment>error class</comment>
        <translation>http-4xx</translation>
    </message>
    <message>
        <source>http-5xx</source>
        <comment>error class</comment>
        <translation>http-5xx</translation>
    </message>
    <message>
        <source>aborted</source>
        <comment>error class</comment>
        <translation>abandonnée</translation>
    </message>
    <message>
        <source>network</source>
        <comment>error class</comment>
        <translation>réseau</translation>
    </message>
    <message>
        <source>scheduled</source>
        <comment>attempt trigger</comment>
        <translation>planifiée</translation>
    </message>
    <message>
        <source>manual</source>
        <comment>attempt trigger</comment>
        <translation>manuelle</translation>
    </message>
    <message>
        <source>test</source>
        <comment>attempt trigger</comment>
        <translation>test</translation>
    </message>
    <message>
        <source>valid</source>
        <comment>signature verdict</comment>
        <translation>valide</translation>
    </message>
    <message>
        <source>invalid</source>
        <comment>signature verdict</comment>
        <translation>invalide</translation>
    </message>
    <message>
        <source>missing</source>
        <comment>signature verdict</comment>
        <translation>absente</translation>
    </message>
    <message>
        <source>stale timestamp</source>
        <comment>signature verdict</comment>
        <translation>horodatage périmé</translation>
    </message>
    <message>
        <source>malformed</source>
        <comment>signature verdict</comment>
        <translation>malformée</translation>
    </message>
    <message>
        <source>not checked</source>
        <comment>signature verdict</comment>
        <translation>non vérifiée</translation>
    </message>
    <message>
        <source>blocked</source>
        <comment>error class: refused by the egress policy</comment>
        <translation>bloquée</translation>
    </message>
</context>
<context>
    <name>Store</name>
    <message>
        <source>Cannot create the data directory %1. Check its permissions or choose another one with --data-dir.</source>
        <translation>Impossible de créer le répertoire de données %1. Vérifiez ses droits ou choisissez-en un autre avec --data-dir.</translation>
    </message>
    <message>
        <source>The Qt SQLite driver is missing. Install the package libqt6sql6-sqlite.</source>
        <translation>Le pilote SQLite de Qt est absent. Installez le paquet libqt6sql6-sqlite.</translation>
    </message>
    <message>
        <source>Cannot open the database %1: %2</source>
        <translation>Impossible d’ouvrir la base de données %1 : %2</translation>
    </message>
    <message>
        <source>%1 was written by a newer Hookline (schema %2; this version knows up to %3). It was left untouched: upgrade Hookline, or use another --data-dir.</source>
        <translation>%1 a été écrite par un Hookline plus récent (schéma %2 ; cette version connaît jusqu’au %3). Elle n’a pas été modifiée : mettez Hookline à jour, ou utilisez un autre --data-dir.</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema %2 failed: %3</source>
        <translation>La mise à niveau de %1 vers le schéma %2 a échoué : %3</translation>
    </message>
    <message>
        <source>There is no endpoint %1. &apos;hookline endpoints list&apos; shows them.</source>
        <translation>Le point de terminaison %1 n’existe pas. « hookline endpoints list » les affiche.</translation>
    </message>
    <message>
        <source>%1 matches %2 endpoints; type more of the id.</source>
        <translation>%1 correspond à %2 points de terminaison ; tapez davantage de l’identifiant.</translation>
    </message>
    <message>
        <source>Saving the endpoint failed: %1</source>
        <translation>L’enregistrement du point de terminaison a échoué : %1</translation>
    </message>
    <message>
        <source>There is no event type %1.</source>
        <translation>Le type d’événement %1 n’existe pas.</translation>
    </message>
    <message>
        <source>There is no delivery %1. &apos;hookline history&apos; lists them.</source>
        <translation>La livraison %1 n’existe pas. « hookline history » les liste.</translation>
    </message>
    <message>
        <source>%1 matches several deliveries; type more of the id.</source>
        <translation>%1 correspond à plusieurs livraisons ; tapez davantage de l’identifiant.</translation>
    </message>
    <message>
        <source>Qt&apos;s SQLite driver did not hand over its connection to %1. Reinstall Qt&apos;s SQLite plugin (Debian: libqt6sql6-sqlite).</source>
        <translation>Le pilote SQLite de Qt n’a pas fourni sa connexion à %1. Réinstallez le module SQLite de Qt (Debian : libqt6sql6-sqlite).</translation>
    </message>
    <message>
        <source>There is no delivery %1.</source>
        <translation>La livraison %1 n’existe pas.</translation>
    </message>
    <message>
        <source>Delivery %1 is being sent by another Hookline process (%2) right now. Try again after %3, or look at its history.</source>
        <translation>La livraison %1 est en cours d’envoi par un autre processus Hookline (%2). Réessayez après %3, ou consultez son historique.</translation>
    </message>
    <message>
        <source>The event of delivery %1 is no longer stored (retention removed it), so it cannot be sent again.</source>
        <translation>L’événement de la livraison %1 n’est plus conservé (la rétention l’a supprimé) ; elle ne peut pas être renvoyée.</translation>
    </message>
    <message>
        <source>The database %1 is read-only. %2</source>
        <translation>La base de données %1 est en lecture seule. %2</translation>
    </message>
    <message>
        <source>Cannot use the database %1: %2. %3</source>
        <translation>Impossible d’utiliser la base de données %1 : %2. %3</translation>
    </message>
    <message>
        <source>The disk is full: free some space.</source>
        <translation>Le disque est plein : libérez de l’espace.</translation>
    </message>
    <message>
        <source>The file, its folder or its file system is read-only: fix the permissions or the mount, or choose another --data-dir.</source>
        <translation>Le fichier, son dossier ou son système de fichiers est en lecture seule : corrigez les droits ou le montage, ou choisissez un autre --data-dir.</translation>
    </message>
    <message>
        <source>Another program holds the database locked: close it, or wait for it, and try again.</source>
        <translation>Un autre programme verrouille la base de données : fermez-le, ou attendez-le, puis réessayez.</translation>
    </message>
    <message>
        <source>The disk reported an I/O error: check the disk and its free space.</source>
        <translation>Le disque a signalé une erreur d’entrée-sortie : vérifiez le disque et son espace libre.</translation>
    </message>
    <message>
        <source>The file is not a Hookline database, or is damaged: choose another --data-dir, or restore it from a backup.</source>
        <translation>Le fichier n’est pas une base Hookline, ou il est endommagé : choisissez un autre --data-dir, ou restaurez-le depuis une sauvegarde.</translation>
    </message>
    <message>
        <source>Check free disk space and the data directory&apos;s permissions.</source>
        <translation>Vérifiez l’espace disque libre et les droits du dossier de données.</translation>
    </message>
    <message>
        <source>Cannot read the database %1: %2. %3</source>
        <translation>Impossible de lire la base de données %1 : %2. %3</translation>
    </message>
    <message>
        <source>Cannot write to %1: %2. %3</source>
        <translation>Impossible d’écrire dans %1 : %2. %3</translation>
    </message>
    <message>
        <source>Delivery %1 is already %2.</source>
        <translation>La livraison %1 est déjà dans l’état %2.</translation>
    </message>
    <message>
        <source>There is no API token %1. &apos;hookline tokens list&apos; shows them.</source>
        <translation>Il n’y a pas de jeton d’API %1. « hookline tokens list » les affiche.</translation>
    </message>
    <message>
        <source>%1 matches %2 API tokens; type more of the id.</source>
        <translation>%1 correspond à %2 jetons d’API ; tapez davantage de l’identifiant.</translation>
    </message>
    <message>
        <source>The custom header values of %1 cannot be read: %2</source>
        <translation>Les valeurs des en-têtes personnalisés de %1 ne peuvent pas être lues : %2</translation>
    </message>
    <message>
        <source>The signing secret of %1 cannot be read: %2</source>
        <translation>Le secret de signature de %1 ne peut pas être lu : %2</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema 4 failed: %2</source>
        <translation>La mise à niveau de %1 vers le schéma 4 a échoué : %2</translation>
    </message>
    <message>
        <source>The endpoint&apos;s secrets could not be encrypted (the system&apos;s random number generator failed); nothing was saved. Try again.</source>
        <translation>Les secrets du point de terminaison n’ont pas pu être chiffrés (le générateur de nombres aléatoires du système a échoué) ; rien n’a été enregistré. Réessayez.</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema 8 failed: %2</source>
        <translation>La mise à niveau de %1 vers le schéma 8 a échoué : %2</translation>
    </message>
    <message>
        <source>%1 names %2 endpoints; give the id instead.</source>
        <translation>%1 désigne %2 points de terminaison ; donnez plutôt l’identifiant.</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema 12 failed: %2</source>
        <translation>La mise à niveau de %1 vers le schéma 12 a échoué : %2</translation>
    </message>
    <message>
        <source>%1 was changed by someone else at %2 - reload it to see their change, then make yours again.</source>
        <translation>%1 a été modifié par quelqu’un d’autre à %2 : rechargez-le pour voir sa modification, puis refaites la vôtre.</translation>
    </message>
    <message>
        <source>Check that the PostgreSQL server is running and can be reached from here; Hookline connects again by itself.</source>
        <translation>Vérifiez que le serveur PostgreSQL fonctionne et est joignable d’ici ; Hookline se reconnecte de lui-même.</translation>
    </message>
    <message>
        <source>The endpoint secrets in %1 are sealed with the key %2, and this process has the key %3. Give every Hookline process on this database the same key: set HOOKLINE_SECRET_KEY (or copy the key file) from a machine that uses it.</source>
        <translation>Les secrets des points de terminaison de %1 sont scellés avec la clé %2, et ce processus a la clé %3. Donnez la même clé à chaque processus Hookline de cette base : définissez HOOKLINE_SECRET_KEY (ou copiez le fichier de clé) depuis une machine qui l’utilise.</translation>
    </message>
</context>
<context>
    <name>StoreCopy</name>
    <message>
        <source>%1 is both the store to copy from and the one to copy to.</source>
        <translation>%1 est à la fois le stockage source et le stockage cible de la copie.</translation>
    </message>
    <message numerus="yes">
        <source>%n delivery(s) in %1 are being sent by a running Hookline (a window, &apos;hookline run&apos; or &apos;hookline serve&apos;). Stop the processes that use %1, then copy: otherwise both stores would send them.</source>
        <translation>
            <numerusform>%n livraison de %1 est en cours d’envoi par un Hookline en marche (une fenêtre, « hookline run » ou « hookline serve »). Arrêtez les processus qui utilisent %1, puis copiez : sinon les deux stockages l’enverraient.</numerusform>
            <numerusform>%n livraisons de %1 sont en cours d’envoi par un Hookline en marche (une fenêtre, « hookline run » ou « hookline serve »). Arrêtez les processus qui utilisent %1, puis copiez : sinon les deux stockages les enverraient.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is not empty (it holds endpoints, events or deliveries). Copy into an empty database, or add --merge to add only what it lacks (that is also how an interrupted copy is finished).</source>
        <translation>%1 n’est pas vide (il contient des points de terminaison, des événements ou des livraisons). Copiez vers une base vide, ou ajoutez --merge pour n’ajouter que ce qui lui manque (c’est aussi ainsi qu’on termine une copie interrompue).</translation>
    </message>
    <message>
        <source>Event type %1: %2</source>
        <translation>Type d’événement %1 : %2</translation>
    </message>
    <message>
        <source>Endpoint %1 (%2): %3</source>
        <translation>Point de terminaison %1 (%2) : %3</translation>
    </message>
</context>
<context>
    <name>TemplateRenderer</name>
    <message>
        <source>The placeholder that opens at line %1, column %2 is not closed. Write it as {{name}} on one line.</source>
        <translation>Le paramètre qui s’ouvre ligne %1, colonne %2 n’est pas fermé. Écrivez-le {{nom}} sur une seule ligne.</translation>
    </message>
    <message>
        <source>Unknown placeholder {{%1}} at line %2, column %3. Known placeholders: %4.</source>
        <translation>Paramètre inconnu {{%1}} ligne %2, colonne %3. Paramètres connus : %4.</translation>
    </message>
    <message>
        <source>The template is not valid JSON: %1 at line %2, column %3.</source>
        <translation>Le modèle n’est pas du JSON valide : %1 ligne %2, colonne %3.</translation>
    </message>
    <message>
        <source>The template must be a JSON object: start it with { and end it with }.</source>
        <translation>Le modèle doit être un objet JSON : commencez-le par { et terminez-le par }.</translation>
    </message>
    <message>
        <source>The template has a raw control character (U+%1) inside a string at line %2, column %3. Write it as \u%1 or remove it.</source>
        <translation>Le modèle contient un caractère de contrôle brut (U+%1) dans une chaîne ligne %2, colonne %3. Écrivez-le \u%1 ou supprimez-le.</translation>
    </message>
</context>
<context>
    <name>WebhookSigner</name>
    <message>
        <source>The request carries no webhook-id, webhook-timestamp or webhook-signature header.</source>
        <translation>La requête ne porte aucun en-tête webhook-id, webhook-timestamp ou webhook-signature.</translation>
    </message>
    <message>
        <source>The request lacks the header(s) %1.</source>
        <translation>Il manque à la requête le ou les en-têtes %1.</translation>
    </message>
    <message>
        <source>webhook-timestamp “%1” is not a number of seconds.</source>
        <translation>webhook-timestamp « %1 » n’est pas un nombre de secondes.</translation>
    </message>
    <message>
        <source>webhook-timestamp is %1 s away from this machine&apos;s clock; at most %2 s is accepted. Check both clocks, or a replayed request.</source>
        <translation>webhook-timestamp est à %1 s de l’horloge de cette machine ; %2 s au plus sont acceptées. Vérifiez les deux horloges, ou une requête rejouée.</translation>
    </message>
    <message>
        <source>The request is signed but no secret is configured to check it.</source>
        <translation>La requête est signée mais aucun secret n’est configuré pour la vérifier.</translation>
    </message>
    <message>
        <source>Signature matches.</source>
        <translation>La signature correspond.</translation>
    </message>
    <message>
        <source>No v1 signature matches the configured secret: the secret differs, or the body was changed on the way.</source>
        <translation>Aucune signature v1 ne correspond au secret configuré : le secret diffère, ou le corps a été modifié en route.</translation>
    </message>
    <message>
        <source>webhook-signature has no “v1,” entry.</source>
        <translation>webhook-signature n’a pas d’entrée « v1, ».</translation>
    </message>
</context>
</TS>
