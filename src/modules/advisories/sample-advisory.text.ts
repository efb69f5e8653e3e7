/**
 * The demo's advisory for its sample incident (a 2016 database copy exposing
 * password hashes), in English (the source) and French. Written for the demo:
 * what happened, what Riposte did, what customers must do.
 */
export const SAMPLE_ADVISORY = {
  en: {
    title: 'Password change required after a 2016 database copy was exposed',
    body: `This advisory is part of the Riposte demo: the incident and the dates are a sample.

## What happened

On 8 November 2016 we learned that an unauthorised party had obtained a copy of part of our user database. The copy contained **password hashes**, not passwords in clear text. Some of those hashes used older schemes (salted SHA-1 and SHA-256) that are faster to attack than the ones we use today, so we treat every password in the copy as exposed.

The copy held no ticket data, no attachments, no API tokens and no OAuth tokens.

## Who is affected

A user is affected when all of the following hold:

- their account was activated before 1 November 2016;
- they are an agent or admin active in Support or Chat, or an end user created before 1 November 2016;
- their password was last set before 1 November 2016;
- they do not sign in through single sign-on (SSO).

Users who changed their password after 1 November 2016, and users who sign in only through SSO, are not affected. Sell, and the other products with a sign-in of their own, were not part of the copy.

## What we did

- **Forced a password change** for every affected user, in one operation across Support, Chat, Guide, Talk and Explore, which share one sign-in. At their next sign-in they must choose a new password before anything else, and it may not be one of their recent passwords.
- **Signed out** the affected users' existing web sessions.
- **Kept integrations running**: API tokens and OAuth tokens keep working, so your integrations are not interrupted. API requests that send an email address and password are refused for an affected user until that user has chosen a new password.
- **Upgraded password storage**: new passwords are stored with argon2id, and older hashes are upgraded at the next sign-in.
- **Wrote to each affected account**: its owner, admins and security contact received a notice listing what this incident means for that account.

## What you should do

1. Tell your agents and end users to expect the password change, and that we will never ask for a password by email. Be wary of messages that imitate this notice.
2. Ask anyone who used the same password elsewhere to change it there too.
3. Move integrations that sign in to the API with an email address and password to an API token or OAuth.
4. Open the security page of your account to see which of your users are affected, follow their password changes, and download the facts you need if you must decide on notifying a supervisory authority (GDPR Article 33).

If you have questions, reply to the notice your account received.`,
    update: `Every affected user has now been flagged for a password change, and their web sessions have been signed out. Users who have not signed in since will be asked for a new password at their next sign-in. API tokens and OAuth tokens were not affected and keep working.`,
  },
  fr: {
    title: 'Changement de mot de passe obligatoire après l’exposition d’une copie de base de données de 2016',
    body: `Cet avis fait partie de la démonstration de Riposte\u00a0: l’incident et les dates sont fictifs.

## Ce qui s’est passé

Le 8\u00a0novembre\u00a02016, nous avons appris qu’un tiers non autorisé avait obtenu une copie d’une partie de notre base d’utilisateurs. Cette copie contenait des **empreintes de mots de passe**, et non des mots de passe en clair. Certaines de ces empreintes reposaient sur d’anciens procédés (SHA-1 et SHA-256 salés), plus rapides à attaquer que ceux que nous utilisons aujourd’hui\u00a0: nous considérons donc comme exposé chaque mot de passe de la copie.

La copie ne contenait ni données de tickets, ni pièces jointes, ni jetons d’API, ni jetons OAuth.

## Qui est concerné

Un utilisateur est concerné lorsque toutes les conditions suivantes sont réunies\u00a0:

- son compte a été activé avant le 1er\u00a0novembre\u00a02016\u00a0;
- il est agent ou administrateur actif dans Support ou Chat, ou utilisateur final créé avant le 1er\u00a0novembre\u00a02016\u00a0;
- son mot de passe a été défini pour la dernière fois avant le 1er\u00a0novembre\u00a02016\u00a0;
- il ne se connecte pas par authentification unique (SSO).

Les utilisateurs qui ont changé leur mot de passe après le 1er\u00a0novembre\u00a02016, et ceux qui se connectent uniquement par SSO, ne sont pas concernés. Sell et les autres produits dotés de leur propre connexion ne figuraient pas dans la copie.

## Ce que nous avons fait

- **Imposé un changement de mot de passe** à chaque utilisateur concerné, en une seule opération pour Support, Chat, Guide, Talk et Explore, qui partagent la même connexion. À sa prochaine connexion, il doit choisir un nouveau mot de passe avant toute autre action, différent de ses mots de passe récents.
- **Fermé les sessions web** ouvertes des utilisateurs concernés.
- **Préservé vos intégrations**\u00a0: les jetons d’API et les jetons OAuth continuent de fonctionner, vos intégrations ne sont donc pas interrompues. Les requêtes d’API qui envoient une adresse e-mail et un mot de passe sont refusées pour un utilisateur concerné tant qu’il n’a pas choisi de nouveau mot de passe.
- **Renforcé le stockage des mots de passe**\u00a0: les nouveaux mots de passe sont conservés avec argon2id, et les anciennes empreintes sont mises à niveau à la connexion suivante.
- **Écrit à chaque compte concerné**\u00a0: son propriétaire, ses administrateurs et son contact sécurité ont reçu un avis détaillant ce que cet incident signifie pour ce compte.

## Ce que vous devez faire

1. Prévenez vos agents et vos utilisateurs finaux qu’un changement de mot de passe les attend, et que nous ne demandons jamais de mot de passe par e-mail. Méfiez-vous des messages qui imitent cet avis.
2. Demandez à toute personne qui utilisait le même mot de passe ailleurs de le changer là aussi.
3. Passez les intégrations qui se connectent à l’API avec une adresse e-mail et un mot de passe à un jeton d’API ou à OAuth.
4. Ouvrez la page sécurité de votre compte pour voir lesquels de vos utilisateurs sont concernés, suivre leurs changements de mot de passe et télécharger les éléments nécessaires si vous devez décider de notifier une autorité de contrôle (article\u00a033 du RGPD).

Pour toute question, répondez à l’avis reçu par votre compte.`,
    update: `Chaque utilisateur concerné doit désormais changer son mot de passe, et ses sessions web ont été fermées. Les utilisateurs qui ne se sont pas connectés depuis devront choisir un nouveau mot de passe à leur prochaine connexion. Les jetons d’API et les jetons OAuth ne sont pas concernés et continuent de fonctionner.`,
  },
} as const;
